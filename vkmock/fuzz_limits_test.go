package vkmock

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzControlBody: the control API answers any body with JSON, 2xx or
// 4xx, never a 5xx or a panic.
func FuzzControlBody(f *testing.F) {
	paths := []string{"/__vkmock/faults", "/__vkmock/clock", "/__vkmock/challenges", "/__vkmock/tokens", "/__vkmock/settings", "/__vkmock/procedures", "/__vkmock/world/posts"}
	f.Add(uint8(0), `{"method":"users.get","latency_ms":1e300}`)
	f.Add(uint8(1), `{"unix":9223372036854775807}`)
	f.Add(uint8(1), `{"advance_ms":-9223372036854775808}`)
	f.Add(uint8(1), `{"advance":"-2562047h47m16.854775808s"}`)
	f.Add(uint8(2), `{"flood":[{"method":"*","threshold":1,"window_ms":1e18}]}`)
	f.Add(uint8(3), `{"kind":"user","token":"x"} trailing`)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		s := MustNew()
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d %q", rec.Code, rec.Body.Bytes())
		}
		if u := s.Clock().Now().Unix(); u < minClock.Unix() || u > maxClock.Unix() {
			t.Fatalf("the clock left its range: %d", u)
		}
	})
}
