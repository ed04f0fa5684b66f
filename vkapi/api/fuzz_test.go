package api

import (
	"encoding/json"
	"testing"
)

// FuzzResponses feeds any bytes, as the "response" of an answer, to the
// decoders of a list response, an object response and a scalar one: they
// never panic, fail only on malformed JSON, and keep what they got in Raw.
func FuzzResponses(f *testing.F) {
	for _, s := range []string{
		`[{"id":"1","first_name":"A","counters":[]}]`, `{"count":"2","items":{"0":{"id":1},"1":{"id":2}},"profiles":{}}`,
		`1`, `"1"`, `null`, `{}`, `[]`, `{"count":`, `[[["x"]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var users UsersGetResponse
		var wall WallGetExtendedResponse
		var ok BaseOkResponse
		errs := []error{json.Unmarshal(b, &users), json.Unmarshal(b, &wall), json.Unmarshal(b, &ok)}
		valid := json.Valid(b)
		for _, err := range errs {
			if valid && err != nil {
				t.Fatalf("valid JSON %q: %v", b, err)
			}
		}
		if valid && (len(users.Raw) == 0 || len(wall.Raw) == 0 || len(ok.Raw) == 0) {
			t.Fatalf("valid JSON %q: Raw not kept", b)
		}
	})
}
