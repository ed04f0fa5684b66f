package vkmock

import (
	"bytes"
	"os"
	"testing"
)

func TestWithSchemaDir(t *testing.T) {
	dir := "../../shared/vk-api-schema"
	if _, err := os.Stat(dir + "/errors.json"); err != nil {
		t.Skip("schema not found at", dir)
	}
	s, err := New(WithSchemaDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Methods()) != len(MustNew().Methods()) || s.SchemaVersion() != SchemaVersion {
		t.Fatalf("%d methods, schema %s", len(s.Methods()), s.SchemaVersion())
	}
	if _, err := New(WithSchemaDir(t.TempDir())); err == nil {
		t.Fatal("empty schema directory accepted")
	}
}

// TestWithSeedSynthesis: the seed reaches the synthesised answers: two
// servers with one seed answer alike, another seed answers otherwise.
func TestWithSeedSynthesis(t *testing.T) {
	a, b, c := testServer(t, WithSeed(7)), testServer(t, WithSeed(7)), testServer(t, WithSeed(8))
	get := func(s *Server) []byte {
		params := vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token, "owner_id", "-1", "count", "5")
		ans := call(t, s, "wall.getComments", params)
		if ans.code() != 0 {
			t.Fatalf("wall.getComments: %s", ans.body)
		}
		return ans.env.Response
	}
	x, y, z := get(a), get(b), get(c)
	if !bytes.Equal(x, y) {
		t.Fatalf("same seed, different answers:\n%s\n%s", x, y)
	}
	if bytes.Equal(x, z) {
		t.Fatalf("different seeds, same answer: %s", x)
	}
}
