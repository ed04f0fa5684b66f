package vkmock

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The real bodies of ../shared/spec/wire-examples, copied to
// testdata/wire: a test checks the mock's answer against one field by
// field with sameShape.

func wireBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameShape fails unless every field of the real body is in got with the
// same JSON kind (string, number, bool, object, array), recursively into
// objects and the first element of arrays; skip names fields (by key)
// whose content the mock fills differently.
func sameShape(t *testing.T, real, got []byte, skip ...string) {
	t.Helper()
	var r, g any
	if err := json.Unmarshal(real, &r); err != nil {
		t.Fatalf("real body: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("mock body %s: %v", got, err)
	}
	skipped := map[string]bool{}
	for _, k := range skip {
		skipped[k] = true
	}
	compareShape(t, "$", r, g, skipped)
}

func compareShape(t *testing.T, path string, r, g any, skip map[string]bool) {
	t.Helper()
	if kindOf(r) != kindOf(g) {
		t.Errorf("%s: real %s, mock %s", path, kindOf(r), kindOf(g))
		return
	}
	switch r := r.(type) {
	case map[string]any:
		g := g.(map[string]any)
		for k, rv := range r {
			if skip[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: in the real body, not in the mock's", path, k)
				continue
			}
			compareShape(t, path+"."+k, rv, gv, skip)
		}
	case []any:
		g := g.([]any)
		if len(r) > 0 && len(g) > 0 {
			compareShape(t, path+"[0]", r[0], g[0], skip)
		}
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}
