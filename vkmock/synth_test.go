package vkmock

import (
	"bytes"
	"os"
	"testing"
)

// TestSynthesisValid synthesises every variant of every method and checks
// the answer against its schema.
func TestSynthesisValid(t *testing.T) {
	s := MustNew()
	if len(s.schema.ordered) != embeddedMethods {
		t.Fatalf("%d methods, want %d", len(s.schema.ordered), embeddedMethods)
	}
	total := 0
	for _, m := range s.schema.ordered {
		for i := range m.variants {
			v := &m.variants[i]
			q := &vkRequest{Name: m.name, Params: []kv{{Key: "v", Value: "5.199"}}}
			for _, p := range v.when {
				q.Params = append(q.Params, kv{Key: p, Value: "1"})
			}
			if got := selectVariant(m, q); got.name != v.name && len(v.when) > 0 {
				t.Errorf("%s: params %v select %s, want %s", m.name, v.when, got.name, v.name)
			}
			for seed := int64(0); seed < 3; seed++ {
				g := &synth{rng: newRand(uint64(seed), 7), q: q, count: -1, budget: synthBudget}
				g.value(v.typ, "", 0)
				total += len(g.buf)
				val, err := decodeNumber(g.buf)
				if err != nil {
					t.Fatalf("%s %s: invalid JSON: %v: %s", m.name, v.name, err, g.buf)
				}
				if err := validateValue(v.typ, val, m.name+"/"+v.name, 0); err != nil {
					t.Errorf("%s: %v\n%.600s", m.name, err, g.buf)
				}
			}
		}
	}
	t.Logf("%d bytes synthesised", total)
}

func TestSynthesisDeterministic(t *testing.T) {
	a, b := MustNew(WithSeed(7)), MustNew(WithSeed(7))
	c := MustNew(WithSeed(8))
	m := a.schema.methods["wall.get"]
	q := &vkRequest{Name: "wall.get", Params: []kv{{Key: "v", Value: "5.199"}, {Key: "owner_id", Value: "-1"}, {Key: "count", Value: "5"}}}
	// Other requests first, to show there is no shared stream.
	b.synthesize(b.schema.methods["users.get"], &vkRequest{Name: "users.get", Params: []kv{{Key: "v", Value: "5.199"}}})
	x, y, z := a.synthesize(m, q), b.synthesize(b.schema.methods["wall.get"], q), c.synthesize(c.schema.methods["wall.get"], q)
	if !bytes.Equal(x, y) {
		t.Fatalf("same seed, different answers:\n%s\n%s", x, y)
	}
	if bytes.Equal(x, z) {
		t.Fatalf("different seeds, same answer: %s", x)
	}
}

func TestWithSchemaDir(t *testing.T) {
	dir := "../../shared/vk-api-schema"
	if _, err := os.Stat(dir + "/errors.json"); err != nil {
		t.Skip("schema not found at", dir)
	}
	s, err := New(WithSchemaDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Methods()) != embeddedMethods || s.SchemaVersion() != SchemaVersion {
		t.Fatalf("%d methods, schema %s", len(s.Methods()), s.SchemaVersion())
	}
	if _, err := New(WithSchemaDir(t.TempDir())); err == nil {
		t.Fatal("empty schema directory accepted")
	}
}

func TestRespCacheBounded(t *testing.T) {
	var c respCache
	big := make([]byte, respCacheBytes/32)
	for i := range 100 {
		c.put(cacheKey{h: uint64(i)}, big)
		if c.bytes > respCacheBytes || len(c.m) > respCacheSize {
			t.Fatalf("cache holds %d bytes in %d entries", c.bytes, len(c.m))
		}
	}
	if _, ok := c.get(cacheKey{h: 99}); !ok {
		t.Fatal("latest entry missing")
	}
	c.put(cacheKey{h: 1000}, make([]byte, respCacheBytes))
	if _, ok := c.get(cacheKey{h: 1000}); ok {
		t.Fatal("oversized answer cached")
	}
}
