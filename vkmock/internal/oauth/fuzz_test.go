package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandler: any request to the OAuth endpoints gets a JSON answer, a
// redirect or the blank page, never a panic or a 5xx.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/authorize", "client_id=51000001&response_type=token&scope=messages&group_ids=1,2")
	f.Add("POST", "/token", "grant_type=password&client_id=51000001&client_secret="+secret+"&username=bob&password=pw-bob-2&code=123456")
	f.Add("POST", "/access_token", "client_id=51000001&client_secret="+secret+"&code=x&redirect_uri=%zz")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if method != "GET" && method != "POST" {
			method = "POST"
		}
		if !IsPath(path) {
			path = "/token"
		}
		r := newRoom(t)
		req := httptest.NewRequest(method, "http://oauth.test"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		r.h.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusFound || path == "/blank.html":
		case w.Code >= 500:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		default:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("status %d, body not JSON: %q", w.Code, w.Body)
			}
		}
	})
}
