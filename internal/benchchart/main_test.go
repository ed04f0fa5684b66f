package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	ss, err := readSeries(strings.NewReader("series,concurrency,calls_per_sec\nplain,1,19.5\nplain,50,19.9\nbatching,1,20\nbatching,200,480.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || len(ss[1].points) != 2 || ss[1].points[1].y != 480.5 {
		t.Fatalf("series: %+v", ss)
	}
	budgets, err := parseBudgets("500=budget with execute,20")
	if err != nil || len(budgets) != 2 || budgets[1].label != "budget 20/s" {
		t.Fatalf("parseBudgets: %v %v", budgets, err)
	}
	if _, err := parseBudgets("x=y"); err == nil {
		t.Error("a bad budget must fail")
	}
	svg := render(ss, budgets, "T & <chart>")
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	for _, want := range []string{"budget with execute", "budget 20/s", "batching", "plain", "T &amp; &lt;chart&gt;", "<polyline"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Count(svg, "<circle") != 4 {
		t.Errorf("want 4 points")
	}
}

func TestReadSeriesErrors(t *testing.T) {
	for _, in := range []string{"", "a,b\n", "plain,1,2\nplain,x,3\n", "series,concurrency,calls_per_sec\n"} {
		if _, err := readSeries(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
