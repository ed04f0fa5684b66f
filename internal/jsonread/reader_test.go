package jsonread

import (
	"encoding/json"
	"strings"
	"testing"
)

var validSeeds = []string{
	`{"a":[1,-2.5e3,"x\u00e9\n",true,false,null,{}]}`,
	`[[4,1,2],[80,0]]`,
	` "\ud83d\ude00" `,
	`{"a":1,}`, `[1 2]`, `01`, `"\x"`, "\"\x01\"", `{"a"}`, `nul`, `1.`, `-`, ``,
}

// FuzzValueAgrees checks that Value accepts exactly what json.Valid does,
// and that UnescapedString decodes a string as encoding/json does.
func FuzzValueAgrees(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := New(b)
		v := r.Value()
		if (r.Err() != nil) != (v == nil) {
			t.Fatalf("Value returned %q with error %v", v, r.Err())
		}
		r.End()
		if ok := r.Err() == nil; ok != json.Valid(b) {
			t.Fatalf("Value valid=%v, json.Valid=%v for %q", ok, !ok, b)
		}
		var want string
		if json.Unmarshal(b, &want) == nil {
			r := New(b)
			r.Peek()
			got := r.UnescapedString()
			if r.Err() != nil || got != want {
				t.Fatalf("UnescapedString(%q) = %q, %v; encoding/json %q", b, got, r.Err(), want)
			}
		}
	})
}

func TestNestingLimit(t *testing.T) {
	for _, depth := range []int{MaxDepth, MaxDepth + 1} {
		r := New([]byte(strings.Repeat("[", depth) + strings.Repeat("]", depth)))
		r.Value()
		if (r.Err() == nil) != (depth <= MaxDepth) {
			t.Fatalf("depth %d: err %v", depth, r.Err())
		}
	}
}

func TestObjectKeys(t *testing.T) {
	r := New([]byte(`{"a":1, "b\u0031" : [2] , "c":{}}`))
	var keys []string
	for first := true; r.NextKey(&first); {
		keys = append(keys, string(r.Key())+"="+string(r.Value()))
	}
	r.End()
	if r.Err() != nil || strings.Join(keys, " ") != "a=1 b1=[2] c={}" {
		t.Fatalf("keys %q, err %v", keys, r.Err())
	}
}
