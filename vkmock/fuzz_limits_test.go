package vkmock

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// FuzzLogString: what the request log keeps of any bytes is valid UTF-8,
// within the limit, the whole redacted value when it fits, and never a
// token of the VK format that it was given.
func FuzzLogString(f *testing.F) {
	f.Add("plain value", 16)
	f.Add("x&access_token=vk1.a.abcdefghijklmnopqrstuvwxyz0123456789", 20)
	f.Add(`{"captcha_key":"secret \"quoted\" value"}`, 24)
	f.Add(strings.Repeat("é", 100)+strings.Repeat("0123456789abcdef", 8), 210)
	f.Add("\xff\xfe broken", 3)
	f.Fuzz(func(t *testing.T, v string, limit int) {
		limit = 8 + abs(limit)%4096
		got, n := logString(v, limit)
		if !utf8.ValidString(got) || len(got) > max(limit, len(vkerr.RedactString(strings.ToValidUTF8(v, "\uFFFD")))) {
			t.Fatalf("logString(%q, %d) = %q", v, limit, got)
		}
		if len(v) <= limit {
			if n != 0 || got != vkerr.RedactString(strings.ToValidUTF8(v, "\uFFFD")) {
				t.Fatalf("short value %q: %q, %d", v, got, n)
			}
			return
		}
		if n != len(v) || len(got) > limit {
			t.Fatalf("long value: %d bytes kept, len %d", len(got), n)
		}
		if vkToken.MatchString(got) {
			t.Fatalf("a token survives: %q", got)
		}
	})
}

// vkToken is the start of a VK token with something of the token after it.
var vkToken = regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_-]`)

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

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
		s := New()
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
