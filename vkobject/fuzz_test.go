package vkobject

import (
	"encoding/json"
	"testing"
)

// FuzzUnmarshal feeds any bytes to the tolerant decoder of a deep object
// and of a list of them: it never panics, and it fails only on malformed
// JSON.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","first_name":"A","is_closed":1,"counters":[],"city":{"id":"2"},"career":{"0":{"group_id":3}}}`,
		`[{"id":1,"attachments":{"type":"photo"}},{}]`,
		`{"items":[1,"2"],"count":"3"}`, `null`, `"x"`, `{"id":`, `[[[[[]]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var u UsersUserFull
		err := Unmarshal(b, &u)
		var l List[WallWallpostFull]
		err2 := Unmarshal(b, &l)
		if json.Valid(b) && (err != nil || err2 != nil) {
			t.Errorf("valid JSON %q: %v, %v", b, err, err2)
		}
	})
}
