// Command benchchart draws the throughput chart of BENCHMARKS.md: delivered
// calls per second against concurrency, one line per series, with the budget
// as a dashed line. It reads CSV rows "series,concurrency,calls_per_sec"
// (a header row is skipped) and writes an SVG.
//
//	go run ./internal/benchchart -in docs/throughput.csv -out docs/throughput.svg \
//		-budget '500=budget with execute (25 × 20/s),20=budget of plain calls (20/s)'
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type point struct{ x, y float64 }

type series struct {
	name   string
	points []point
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("benchchart: ")
	in := flag.String("in", "", "CSV input: series,concurrency,calls_per_sec")
	out := flag.String("out", "", "SVG output")
	budget := flag.String("budget", "", "budget lines: VALUE[=LABEL], comma-separated")
	title := flag.String("title", "Delivered calls per second against concurrency", "chart title")
	flag.Parse()
	if *in == "" || *out == "" {
		log.Fatal("usage: benchchart -in FILE.csv -out FILE.svg [-budget N]")
	}
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	ss, err := readSeries(f)
	if err != nil {
		log.Fatal(err)
	}
	budgets, err := parseBudgets(*budget)
	if err != nil {
		log.Fatal(err)
	}
	svg := render(ss, budgets, *title)
	if err := os.WriteFile(*out, []byte(svg), 0o644); err != nil {
		log.Fatal(err)
	}
}

// budgetLine is a horizontal dashed line.
type budgetLine struct {
	value float64
	label string
}

func parseBudgets(s string) ([]budgetLine, error) {
	var out []budgetLine
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		v, label, _ := strings.Cut(part, "=")
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("budget %q: %w", part, err)
		}
		if label == "" {
			label = "budget " + strconv.FormatFloat(n, 'f', -1, 64) + "/s"
		}
		out = append(out, budgetLine{n, strings.TrimSpace(label)})
	}
	return out, nil
}

func readSeries(r io.Reader) ([]series, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var ss []series
	index := map[string]int{}
	for i, row := range rows {
		if len(row) != 3 {
			return nil, fmt.Errorf("row %d: want 3 fields, got %d", i+1, len(row))
		}
		x, errX := strconv.ParseFloat(strings.TrimSpace(row[1]), 64)
		y, errY := strconv.ParseFloat(strings.TrimSpace(row[2]), 64)
		if errX != nil || errY != nil {
			if i == 0 {
				continue // header
			}
			return nil, fmt.Errorf("row %d: not numbers: %v", i+1, row)
		}
		name := strings.TrimSpace(row[0])
		j, ok := index[name]
		if !ok {
			j = len(ss)
			index[name] = j
			ss = append(ss, series{name: name})
		}
		ss[j].points = append(ss[j].points, point{x, y})
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("no data")
	}
	for i := range ss {
		slices.SortFunc(ss[i].points, func(a, b point) int { return int(a.x - b.x) })
	}
	return ss, nil
}

var colors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// render draws the series on a log-scale x axis (concurrency) and a linear y
// axis (calls per second).
func render(ss []series, budgets []budgetLine, title string) string {
	const w, h, left, right, top, bottom = 820.0, 420.0, 70.0, 270.0, 40.0, 50.0
	minX, maxX, maxY := math.Inf(1), 0.0, 0.0
	for _, bl := range budgets {
		maxY = math.Max(maxY, bl.value)
	}
	for _, s := range ss {
		for _, p := range s.points {
			minX, maxX, maxY = math.Min(minX, math.Max(p.x, 1)), math.Max(maxX, p.x), math.Max(maxY, p.y)
		}
	}
	if maxX <= minX {
		maxX = minX * 10
	}
	maxY = niceCeil(maxY * 1.1)
	px := func(x float64) float64 {
		return left + (math.Log10(math.Max(x, 1))-math.Log10(minX))/(math.Log10(maxX)-math.Log10(minX))*(w-left-right)
	}
	py := func(y float64) float64 { return h - bottom - y/maxY*(h-top-bottom) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, escape(title))
	// Axes and grid.
	for i := 0; i <= 5; i++ {
		y := maxY * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), w-right, py(y))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(y)+4, strconv.FormatFloat(y, 'f', -1, 64))
	}
	var ticks []float64
	for _, s := range ss {
		for _, p := range s.points {
			if !slices.Contains(ticks, p.x) {
				ticks = append(ticks, p.x)
			}
		}
	}
	slices.Sort(ticks)
	for _, x := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#eee"/>`+"\n", px(x), top, px(x), h-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", px(x), h-bottom+16, strconv.FormatFloat(x, 'f', -1, 64))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top, left, h-bottom)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">concurrent callers (log scale)</text>`+"\n", (left+w-right)/2, h-12)
	fmt.Fprintf(&b, `<text x="16" y="%g" text-anchor="middle" transform="rotate(-90 16 %g)">delivered calls per second</text>`+"\n", (top+h-bottom)/2, (top+h-bottom)/2)
	legendY := top + 10
	for i, bl := range budgets {
		dash := []string{"6 4", "2 3", "10 3 2 3"}[i%3]
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#555" stroke-dasharray="%s"/>`+"\n", left, py(bl.value), w-right, py(bl.value), dash)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#555" stroke-dasharray="%s"/><text x="%g" y="%g">%s</text>`+"\n",
			w-right+10, legendY, w-right+34, legendY, dash, w-right+40, legendY+4, escape(bl.label))
		legendY += 20
	}
	for i, s := range ss {
		c := colors[i%len(colors)]
		var pts []string
		for _, p := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.x), py(p.y)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(pts, " "))
		for _, p := range s.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %g callers, %.1f calls/s</title></circle>`+"\n", px(p.x), py(p.y), c, escape(s.name), p.x, p.y)
		}
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">%s</text>`+"\n",
			w-right+10, legendY, w-right+34, legendY, c, w-right+40, legendY+4, escape(s.name))
		legendY += 20
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to a round multiple of a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
