package methods

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

func embedded(t testing.TB) *Table {
	t.Helper()
	tab, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func request(method string, kv ...string) *core.Request {
	q := &core.Request{Name: method}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Params = append(q.Params, core.KV{Key: kv[i], Value: kv[i+1]})
	}
	return q
}

// TestSynthesisValid synthesises every variant of every method and checks
// the answer against its schema.
func TestSynthesisValid(t *testing.T) {
	tab := embedded(t)
	if len(tab.Methods()) != embeddedMethods {
		t.Fatalf("%d methods, want %d", len(tab.Methods()), embeddedMethods)
	}
	total := 0
	for _, m := range tab.Methods() {
		for i := range m.variants {
			v := &m.variants[i]
			q := request(m.name, "v", "5.199")
			for _, p := range v.when {
				q.Params = append(q.Params, core.KV{Key: p, Value: "1"})
			}
			if got := m.Select(q); got.name != v.name && len(v.when) > 0 {
				t.Errorf("%s: params %v select %s, want %s", m.name, v.when, got.name, v.name)
			}
			for seed := uint64(0); seed < 3; seed++ {
				g := &synth{rng: rand.New(rand.NewPCG(seed, 7)), q: q, count: -1, budget: synthBudget}
				g.value(v.typ, "", 0)
				total += len(g.buf)
				if err := v.Check(g.buf, m.name+"/"+v.name); err != nil {
					t.Errorf("%v\n%.600s", err, g.buf)
				}
			}
		}
	}
	t.Logf("%d bytes synthesised", total)
}

func TestSynthesisDeterministic(t *testing.T) {
	tab := embedded(t)
	a, b := New(Deps{Table: tab, Seed: 7}), New(Deps{Table: tab, Seed: 7})
	c := New(Deps{Table: tab, Seed: 8})
	m := tab.Method("wall.get")
	q := request("wall.get", "v", "5.199", "owner_id", "-1", "count", "5")
	// Other requests first, to show there is no shared stream.
	b.Synthesize(tab.Method("users.get"), request("users.get", "v", "5.199"))
	x, y, z := a.Synthesize(m, q), b.Synthesize(m, q), c.Synthesize(m, q)
	if !bytes.Equal(x, y) {
		t.Fatalf("same seed, different answers:\n%s\n%s", x, y)
	}
	if bytes.Equal(x, z) {
		t.Fatalf("different seeds, same answer: %s", x)
	}
	// The order of the parameters and the token do not matter; a secret
	// is left out of the hash.
	q2 := request("wall.get", "count", "5", "access_token", "t1", "owner_id", "-1", "v", "5.199")
	if w := a.Synthesize(m, q2); !bytes.Equal(x, w) {
		t.Fatalf("reordered parameters and a token, different answer:\n%s\n%s", x, w)
	}
	// A fresh room answers the same bytes: the cache gives what synthesis
	// gives.
	if w := New(Deps{Table: tab, Seed: 7}).Synthesize(m, q2); !bytes.Equal(x, w) {
		t.Fatalf("cached and fresh answers differ:\n%s\n%s", x, w)
	}
}

// TestSynthesisShapes: count sizes the items, *_ids gives one object per
// id, same-named fields echo the request, fields asks for optional ones.
func TestSynthesisShapes(t *testing.T) {
	tab := embedded(t)
	r := New(Deps{Table: tab, Seed: 1})
	check := func(m *Method, q *core.Request) []byte {
		t.Helper()
		b := r.Synthesize(m, q)
		if err := m.Select(q).Check(b, m.Name()); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		return b
	}
	wall := tab.Method("wall.get")
	for _, n := range []int{0, 4, 100} {
		b := check(wall, request("wall.get", "v", "5.199", "count", strconv.Itoa(n), "offset", "10"))
		var got struct {
			Count int               `json:"count"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != n || got.Count < 10+n {
			t.Fatalf("count=%d offset=10: %d items of %d in %.300s", n, len(got.Items), got.Count, b)
		}
	}
	users := tab.Method("users.get")
	b := check(users, request("users.get", "v", "5.199", "user_ids", "5,6,7", "fields", "screen_name"))
	for _, want := range []string{`"id":5`, `"id":6`, `"id":7`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("user_ids=5,6,7: %s missing in %s", want, b)
		}
	}
	if got := bytes.Count(b, []byte(`"screen_name":`)); got != 3 {
		t.Fatalf("fields=screen_name: %d screen names in %s", got, b)
	}
	edit := tab.Method("wall.edit")
	if b := check(edit, request("wall.edit", "v", "5.199", "post_id", "4242")); !bytes.Contains(b, []byte(`"post_id":4242`)) {
		t.Fatalf("post_id not echoed: %s", b)
	}
}

func TestSelectVariant(t *testing.T) {
	m := embedded(t).Method("wall.get")
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{nil, "response"},
		{[]string{"extended", "0"}, "response"},
		{[]string{"extended", "false"}, "response"},
		{[]string{"extended", "1"}, "extendedResponse"},
	} {
		if got := m.Select(request("wall.get", c.kv...)).Name(); got != c.want {
			t.Errorf("%v: %s, want %s", c.kv, got, c.want)
		}
	}
}

func TestRespCacheBounded(t *testing.T) {
	var c respCache
	big := make([]byte, respCacheBytes/32)
	for i := range 100 {
		c.put(Key{h: uint64(i)}, big)
		if c.bytes > respCacheBytes || len(c.m) > respCacheSize {
			t.Fatalf("cache holds %d bytes in %d entries", c.bytes, len(c.m))
		}
	}
	if _, ok := c.get(Key{h: 99}); !ok {
		t.Fatal("latest entry missing")
	}
	c.put(Key{h: 1000}, make([]byte, respCacheBytes))
	if _, ok := c.get(Key{h: 1000}); ok {
		t.Fatal("oversized answer cached")
	}
}

// TestKeyWith: what With mixes in tells keys apart; the same parts give
// the same key.
func TestKeyWith(t *testing.T) {
	tab := embedded(t)
	r := New(Deps{Table: tab, Seed: 1})
	m := tab.Method("users.get")
	q := request("users.get", "v", "5.199")
	k := r.Key(m, "world", q)
	if k.With("1") == k.With("2") || k.With("1") != r.Key(m, "world", q).With("1") {
		t.Fatal("With does not key by its argument")
	}
	if k == r.Key(m, "response", q) {
		t.Fatal("the variant is not in the key")
	}
	r.Keep(k.With("1"), []byte(`[1]`))
	if b, ok := r.Cached(k.With("1")); !ok || string(b) != `[1]` {
		t.Fatalf("kept answer: %q %v", b, ok)
	}
	if _, ok := r.Cached(k.With("2")); ok {
		t.Fatal("an answer under another key")
	}
}

// TestSynthesizeConcurrent: a room answers many goroutines at once (the
// race detector watches the cache), each the same bytes as alone.
func TestSynthesizeConcurrent(t *testing.T) {
	tab := embedded(t)
	m := tab.Method("wall.get")
	want := New(Deps{Table: tab, Seed: 3})
	r := New(Deps{Table: tab, Seed: 3})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				q := request("wall.get", "v", "5.199", "offset", strconv.Itoa((g*50+i)%20))
				if got := r.Synthesize(m, q); !bytes.Equal(got, want.Synthesize(m, q)) {
					errs <- string(got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a concurrent answer differs: %.200s", e)
	}
}
