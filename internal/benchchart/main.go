// Command benchchart draws the throughput chart of BENCHMARKS.md: delivered
// calls per second against concurrency, one line per series, with the budget
// as a dashed line. It reads CSV rows "series,concurrency,calls_per_sec"
// (a header row is skipped) and writes an SVG.
//
//	go run ./internal/benchchart -in docs/throughput.csv -budget 500 -out docs/throughput.svg
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
	budget := flag.Float64("budget", 0, "the budget line, in calls per second (0: none)")
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
	svg := render(ss, *budget, *title)
	if err := os.WriteFile(*out, []byte(svg), 0o644); err != nil {
		log.Fatal(err)
	}
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
func render(ss []series, budget float64, title string) string {
	const w, h, left, right, top, bottom = 720.0, 420.0, 70.0, 170.0, 40.0, 50.0
	minX, maxX, maxY := math.Inf(1), 0.0, budget
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
	if budget > 0 {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#555" stroke-dasharray="6 4"/>`+"\n", left, py(budget), w-right, py(budget))
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#555" stroke-dasharray="6 4"/><text x="%g" y="%g">budget %s/s</text>`+"\n",
			w-right+10, legendY, w-right+34, legendY, w-right+40, legendY+4, strconv.FormatFloat(budget, 'f', -1, 64))
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

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
