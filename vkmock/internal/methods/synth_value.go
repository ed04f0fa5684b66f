package methods

import (
	"math"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The scalars of a synthesised answer: integers, numbers and strings
// that look like VK's for the field's name.

func isTimeField(name string) bool {
	return name == "date" || name == "time" || name == "created" || name == "updated" || name == "start_time" ||
		strings.HasSuffix(name, "_date") || strings.HasSuffix(name, "_time") || strings.HasSuffix(name, "_at")
}

func clampInt(t *rtype, n int64) int64 {
	if t.hasMin && float64(n) < t.min {
		n = int64(math.Ceil(t.min))
	}
	if t.hasMax && float64(n) > t.max {
		n = int64(math.Floor(t.max))
	}
	return n
}

// integer writes an integer: want when it is not negative and fits, else an
// echoed parameter, else a random one within the bounds.
func (g *synth) integer(t *rtype, name string, want int64) {
	if want >= 0 {
		g.buf = strconv.AppendInt(g.buf, clampInt(t, want), 10)
		return
	}
	if v, ok := g.echo(name); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && clampInt(t, n) == n {
			g.buf = strconv.AppendInt(g.buf, n, 10)
			return
		}
	}
	lo, span := int64(1), int64(1_000_000)
	if isTimeField(name) {
		lo = 1_700_000_000
		span = 30_000_000
	}
	if t.hasMin {
		lo = int64(math.Ceil(max(t.min, -1e15)))
	}
	if t.hasMax {
		hi := int64(math.Floor(min(t.max, 1e15)))
		if hi < lo {
			lo = hi
		}
		if hi-lo+1 < span {
			span = hi - lo + 1
		}
	}
	if span < 1 {
		span = 1
	}
	g.buf = strconv.AppendInt(g.buf, clampInt(t, lo+g.rng.Int64N(span)), 10)
}

func (g *synth) number(t *rtype, name string) {
	if v, ok := g.echo(name); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) &&
			(!t.hasMin || f >= t.min) && (!t.hasMax || f <= t.max) {
			g.buf = strconv.AppendFloat(g.buf, f, 'f', -1, 64)
			return
		}
	}
	lo, hi := 0.0, 100.0
	if t.hasMin {
		lo = t.min
		hi = lo + 100
	}
	if t.hasMax {
		hi = t.max
		if !t.hasMin {
			lo = hi - 100
		}
	}
	f := math.Round((lo+g.rng.Float64()*(hi-lo))*100) / 100
	f = math.Max(lo, math.Min(hi, f))
	g.buf = strconv.AppendFloat(g.buf, f, 'f', -1, 64)
}

func (g *synth) str(t *rtype, name string) {
	if v, ok := g.echo(name); ok {
		g.buf = core.AppendString(g.buf, v)
		return
	}
	switch {
	case t.uri || strings.HasPrefix(name, "photo_") || strings.HasSuffix(name, "_url") || name == "url":
		g.buf = append(g.buf, `"https://vk.com/mock/`...)
		g.buf = strconv.AppendUint(g.buf, g.rng.Uint64()%1_000_000_000, 36)
		g.buf = append(g.buf, '"')
	case name == "first_name" || strings.HasPrefix(name, "first_name_"):
		g.buf = core.AppendString(g.buf, firstNames[g.rng.IntN(len(firstNames))])
	case name == "last_name" || strings.HasPrefix(name, "last_name_"):
		g.buf = core.AppendString(g.buf, lastNames[g.rng.IntN(len(lastNames))])
	case name == "screen_name" || name == "domain":
		g.buf = append(g.buf, `"id`...)
		g.buf = strconv.AppendInt(g.buf, 1+g.rng.Int64N(1_000_000), 10)
		g.buf = append(g.buf, '"')
	default:
		g.buf = append(g.buf, '"')
		n := 1 + g.rng.IntN(3)
		for i := 0; i < n; i++ {
			if i > 0 {
				g.buf = append(g.buf, ' ')
			}
			g.buf = append(g.buf, words[g.rng.IntN(len(words))]...)
		}
		g.buf = append(g.buf, '"')
	}
}
