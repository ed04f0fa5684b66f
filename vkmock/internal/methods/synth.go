package methods

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// noEcho are parameters never copied into same-named response fields.
var noEcho = map[string]bool{
	"v": true, "count": true, "offset": true, "lang": true, "test_mode": true, "fields": true,
	"extended": true, "captcha_sid": true, "confirm": true, "https": true, "callback": true,
	"is_sound_captcha": true, "captcha_ts": true, "captcha_attempt": true,
}

const (
	synthBudget   = 6000 // values per answer, to bound its size
	maxSynthDepth = 12
	maxCountItems = 100
)

// requestHash hashes what determines an answer.
func requestHash(seed int64, method, variant string, q *core.Request) uint64 {
	h := core.HashStart
	h = core.HashString(h, strconv.FormatInt(seed, 10))
	h = core.HashString(h, method)
	h = core.HashString(h, variant)
	idx := make([]int, 0, len(q.Params))
	for i, p := range q.Params {
		if p.Key == "access_token" || vkerr.IsSecretParam(p.Key) {
			continue
		}
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		pa, pb := q.Params[a], q.Params[b]
		if c := strings.Compare(pa.Key, pb.Key); c != 0 {
			return c
		}
		return strings.Compare(pa.Value, pb.Value)
	})
	for _, i := range idx {
		h = core.HashString(h, q.Params[i].Key)
		h = core.HashString(h, q.Params[i].Value)
	}
	return h
}

// Synthesize returns the JSON of the "response" value of m for q: a value
// of the variant q selects, valid against its schema, at most synthBudget
// values. q's parameters are echoed in same-named fields, count and
// offset shape the lists, fields asks for optional fields, *_ids for one
// object per id. The bytes are the cache's: do not modify them.
func (r *Room) Synthesize(m *Method, q *core.Request) []byte {
	v := m.Select(q)
	key := r.Key(m, v.name, q)
	if b, ok := r.cache.get(key); ok {
		return b
	}
	g := &synth{
		rng:    rand.New(rand.NewPCG(key.h, uint64(r.seed)^0x9e3779b97f4a7c15)),
		q:      q,
		count:  -1,
		budget: synthBudget,
		buf:    make([]byte, 0, 512),
	}
	if c, ok := q.Get("count"); ok {
		if n, err := strconv.Atoi(c); err == nil && n >= 0 {
			g.count = min(n, maxCountItems)
		}
	}
	if o, ok := q.Get("offset"); ok {
		if n, err := strconv.Atoi(o); err == nil && n > 0 {
			g.offset = min(n, 1<<30)
		}
	}
	if f, ok := q.Get("fields"); ok && f != "" {
		g.fields = map[string]bool{}
		for name := range strings.SplitSeq(f, ",") {
			g.fields[strings.TrimSpace(name)] = true
		}
	}
	if v.typ.kinds&kArray != 0 && v.typ.items != nil && v.typ.items.hasProps {
		g.ids = idsParam(q)
	}
	g.value(v.typ, "", 0)
	out := g.buf
	r.cache.put(key, out)
	return out
}

// idsParam returns the numeric ids of a *_ids parameter, for answers that
// are lists of objects, one per id.
func idsParam(q *core.Request) []int64 {
	for _, p := range q.Params {
		if !strings.HasSuffix(p.Key, "_ids") || p.Value == "" {
			continue
		}
		var ids []int64
		for part := range strings.SplitSeq(p.Value, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || n == 0 {
				return nil
			}
			ids = append(ids, n)
			if len(ids) == 1000 {
				break
			}
		}
		return ids
	}
	return nil
}

type synth struct {
	rng    *rand.Rand
	q      *core.Request
	buf    []byte
	count  int // the count parameter, or -1
	offset int
	ids    []int64         // ids asked for, for a top-level list
	fields map[string]bool // the fields parameter: always present when optional
	budget int
}

func (g *synth) echo(name string) (string, bool) {
	if name == "" || noEcho[name] || vkerr.IsSecretParam(name) {
		return "", false
	}
	v, ok := g.q.Get(name)
	if !ok || v == "" || !utf8.ValidString(v) {
		return "", false
	}
	return v, true
}

func (g *synth) value(t *rtype, name string, depth int) {
	g.budget--
	if len(t.oneOf) > 0 && depth < maxSynthDepth*2 {
		g.value(t.oneOf[g.rng.IntN(len(t.oneOf))], name, depth)
		return
	}
	if len(t.enum) > 0 {
		if v, ok := g.echo(name); ok {
			for _, e := range t.enum {
				if enumMatches(e, v) {
					g.buf = append(g.buf, e...)
					return
				}
			}
		}
		g.buf = append(g.buf, t.enum[g.rng.IntN(len(t.enum))]...)
		return
	}
	k := t.kinds
	switch {
	case k&kObject != 0 && (t.hasProps || k == kObject):
		g.object(t, depth)
	case k&kArray != 0:
		g.array(t, name, depth, -1)
	case k&kInteger != 0:
		g.integer(t, name, -1)
	case k&kNumber != 0:
		g.number(t, name)
	case k&kString != 0:
		g.str(t, name)
	case k&kBoolean != 0:
		if v, ok := g.echo(name); ok && (v == "1" || v == "true" || v == "0" || v == "false") {
			g.buf = strconv.AppendBool(g.buf, v == "1" || v == "true")
			return
		}
		g.buf = strconv.AppendBool(g.buf, g.rng.IntN(2) == 1)
	case k&kObject != 0:
		g.object(t, depth)
	default:
		g.buf = append(g.buf, "null"...)
	}
}

func enumMatches(e []byte, v string) bool {
	if len(e) >= 2 && e[0] == '"' {
		return string(e[1:len(e)-1]) == v
	}
	return string(e) == v
}

// optional is the chance of an optional property at a depth.
func optional(depth int) float64 {
	switch depth {
	case 0:
		return 0.7
	case 1:
		return 0.45
	case 2:
		return 0.2
	case 3:
		return 0.08
	}
	return 0
}

func (g *synth) object(t *rtype, depth int) {
	g.buf = append(g.buf, '{')
	itemsN := -1
	for _, p := range t.props {
		if p.name == "items" && p.typ.kinds&kArray != 0 && len(p.typ.enum) == 0 && len(p.typ.oneOf) == 0 {
			itemsN = g.arrayLen(p.typ, "items", depth+1)
		}
	}
	written, optionalLeft := 0, -1
	if t.maxProps >= 0 {
		optionalLeft = t.maxProps
		for _, p := range t.props {
			if p.required {
				optionalLeft--
			}
		}
	}
	for _, p := range t.props {
		if !p.required {
			if optionalLeft == 0 {
				continue
			}
			asked := depth <= 2 && g.fields[p.name]
			if !asked && (depth >= maxSynthDepth || g.budget <= 0 || g.rng.Float64() >= optional(depth)) {
				continue
			}
			optionalLeft--
		}
		if written > 0 {
			g.buf = append(g.buf, ',')
		}
		written++
		g.buf = core.AppendString(g.buf, p.name)
		g.buf = append(g.buf, ':')
		switch {
		case p.name == "items" && itemsN >= 0:
			g.array(p.typ, "items", depth+1, itemsN)
		case p.name == "count" && itemsN >= 0 && p.typ.kinds&kInteger != 0 && len(p.typ.enum) == 0:
			g.integer(p.typ, "count", int64(g.offset+itemsN+g.rng.IntN(25)))
		case depth == 1 && p.name == "id" && len(g.ids) > 0 && p.typ.kinds&kInteger != 0 && len(p.typ.enum) == 0:
			g.integer(p.typ, "id", g.nextID())
		default:
			g.value(p.typ, p.name, depth+1)
		}
	}
	g.buf = append(g.buf, '}')
}

// nextID hands out the ids asked for, one per element of a top-level list.
func (g *synth) nextID() int64 {
	id := g.ids[0]
	g.ids = g.ids[1:]
	if id < 0 {
		id = -id
	}
	return id
}

func (g *synth) arrayLen(t *rtype, name string, depth int) int {
	n := 0
	switch {
	case depth == 0 && len(g.ids) > 0:
		n = len(g.ids)
	case name == "items" && g.count >= 0:
		n = g.count
	case g.budget <= 0 || depth >= maxSynthDepth:
		n = 0
	case depth <= 1:
		n = 1 + g.rng.IntN(3)
	case depth <= 3:
		n = g.rng.IntN(2)
	}
	if n < t.minItems {
		n = t.minItems
	}
	if t.maxItems >= 0 && n > t.maxItems {
		n = t.maxItems
	}
	return n
}

func (g *synth) array(t *rtype, name string, depth, n int) {
	if n < 0 {
		n = g.arrayLen(t, name, depth)
	}
	g.buf = append(g.buf, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			g.buf = append(g.buf, ',')
		}
		if t.items == nil {
			g.buf = append(g.buf, '0')
			continue
		}
		g.value(t.items, name, depth+1)
	}
	g.buf = append(g.buf, ']')
}

var (
	firstNames = []string{"Anna", "Ivan", "Maria", "Pavel", "Olga", "Dmitry", "Elena", "Sergey"}
	lastNames  = []string{"Ivanova", "Petrov", "Smirnova", "Volkov", "Kuznetsova", "Sokolov"}
	words      = []string{"lorem", "ipsum", "dolor", "sit", "amet", "mock", "vk", "test", "hello", "world"}
)
