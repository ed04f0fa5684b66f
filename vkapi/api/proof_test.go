package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
)

// proofEntry is one Go method of the API in the generated proofTable.
type proofEntry struct {
	method, variant, kind string
	call                  func(ctx context.Context, a *API) (any, error)
}

// TestProofEveryMethod calls every Go method of the API on vkmock, which
// synthesises each answer from the same schema: the answer must decode
// into the generated response type with no error, and encoding the typed
// response again must keep every field the mock sent, with its value.
func TestProofEveryMethod(t *testing.T) {
	s := newMock(t)
	apis := map[string]*API{}
	for _, k := range []vkmock.TokenKind{vkmock.TokenUser, vkmock.TokenGroup, vkmock.TokenService} {
		apis[k.String()], _ = mockAPI(t, s, k)
	}
	methods := map[string]bool{}
	for _, e := range proofTable {
		methods[e.method] = true
		t.Run(e.method+"/"+e.variant, func(t *testing.T) {
			call := func(ctx context.Context) (any, error) { return e.call(ctx, apis[e.kind]) }
			if o := proofOverrides[e.method+"/"+e.variant]; o != nil {
				w := &proofWorld{t: t, s: s, user: apis["user"], grp: apis["group"]}
				call = func(ctx context.Context) (any, error) { return o(ctx, w) }
			}
			resp, err := call(t.Context())
			if err != nil {
				t.Fatalf("%s: %v", e.method, err)
			}
			raw := reflect.ValueOf(resp).Elem().FieldByName("Raw").Bytes()
			if len(raw) == 0 {
				t.Fatal("Raw is empty")
			}
			again, err := json.Marshal(resp)
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			if path, ok := keeps(raw, again); !ok {
				t.Errorf("re-encoding lost %s\nmock: %.600s\nours: %.600s", path, raw, again)
			}
		})
	}
	if len(methods) != MethodCount {
		t.Errorf("the proof covers %d methods, the schema has %d", len(methods), MethodCount)
	}
}

// keeps reports whether every field of the JSON sent is in got with the
// same value (numbers, booleans and their string forms compared as
// values, as the types decode them), and if not the first path that is
// not.
func keeps(sent, got []byte) (string, bool) {
	var a, b any
	if json.Unmarshal(sent, &a) != nil || json.Unmarshal(got, &b) != nil {
		return "(invalid JSON)", false
	}
	return same("$", a, b)
}

func same(path string, a, b any) (string, bool) {
	switch a := a.(type) {
	case map[string]any:
		if len(a) == 0 {
			return "", true // {}: nothing to keep (an empty list or object alike)
		}
		bm, ok := b.(map[string]any)
		if !ok {
			if bl, ok := b.([]any); ok && len(bl) == 1 {
				return same(path, a, bl[0]) // a lone object decoded as a list of one
			}
			return path, false
		}
		for k, v := range a {
			w, ok := bm[k]
			if !ok {
				return path + "." + k, false
			}
			if p, ok := same(path+"."+k, v, w); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		bl, ok := b.([]any)
		if !ok {
			if len(a) == 0 {
				return "", true
			}
			return path, false
		}
		if len(a) != len(bl) {
			return path + " (length)", false
		}
		for i := range a {
			if p, ok := same(fmt.Sprintf("%s[%d]", path, i), a[i], bl[i]); !ok {
				return p, false
			}
		}
		return "", true
	case nil:
		return "", true
	}
	if x, ok := scalarValue(a); ok {
		if y, ok := scalarValue(b); ok && (x == y || math.Abs(x-y) < 1e-9*math.Max(1, math.Abs(x))) {
			return "", true
		}
	}
	if reflect.DeepEqual(a, b) {
		return "", true
	}
	return path + fmt.Sprintf(" (%v, now %v)", a, b), false
}

// scalarValue is the number a scalar stands for: true is 1.
func scalarValue(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}
