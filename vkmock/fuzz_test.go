package vkmock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

var fuzzVerbs = []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete, "PATCH", "BREW"}

// FuzzRequest drives the request parser and the checks with arbitrary
// requests: every answer to /method/ must be HTTP 200 and a well-formed VK
// envelope (a response or an error object with a code).
func FuzzRequest(f *testing.F) {
	s := MustNew(WithRateLimits(false), WithMaxBodyBytes(64<<10), WithMaxParams(200))
	user := s.Tokens().Of(TokenUser).Token
	f.Add(uint8(0), "users.get", "v=5.199&access_token="+user+"&user_ids=1,2", "", []byte(nil), "")
	f.Add(uint8(1), "messages.send", "v=5.199", "application/x-www-form-urlencoded", []byte("access_token="+user+"&peer_id=1&message=%D0%BF"), "")
	f.Add(uint8(1), "wall.post", "", "multipart/form-data; boundary=xx", []byte("--xx\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n5.199\r\n--xx--\r\n"), "")
	f.Add(uint8(1), "users.get", "v=5.199", "multipart/form-data; boundary=", []byte("--\r\n"), "")
	f.Add(uint8(0), "friends.areFriends", "v=5.199&access_token="+user+"&user_ids=99999999999999999999999", "", []byte(nil), "")
	f.Add(uint8(0), "users.get", "v=5.199&access_token="+user+"&name_case=\xff", "", []byte(nil), "14")
	f.Add(uint8(3), "Users.Get", "%%%", "text/plain", []byte("\x00\x01"), "15:1133")
	f.Add(uint8(1), "secure.getUserLevel", strings.Repeat("a=1&", 300), "application/json", []byte(`{"v":1}`), "abc")
	f.Add(uint8(0), "wall.get", "v=5.199&access_token="+user+"&captcha_sid=1&captcha_key=2", "", []byte(nil), "14; lenient")
	// The User Long Poll world actions.
	f.Add(uint8(1), "messages.markAsRead", "v=5.199&access_token="+user, "application/x-www-form-urlencoded", []byte("peer_id=-1&start_message_id=9"), "")
	f.Add(uint8(1), "messages.delete", "v=5.199&access_token="+user, "application/x-www-form-urlencoded", []byte("message_ids=1,2,x&delete_for_all=1"), "")
	f.Add(uint8(0), "messages.setActivity", "v=5.199&access_token="+user+"&peer_id=100000002&type=typing", "", []byte(nil), "")
	f.Add(uint8(0), "messages.markAsImportant", "v=5.199&access_token="+user+"&message_ids=1&important=1", "", []byte(nil), "")
	f.Add(uint8(0), "account.setOnline", "v=5.199&access_token="+user, "", []byte(nil), "")
	f.Add(uint8(1), "messages.send", "v=5.199&access_token="+user+"&confirm=1", "", []byte("peer_id=1&message=x"), "24;;x")
	f.Fuzz(func(t *testing.T, verb uint8, name, query, ctype string, body []byte, forced string) {
		r := &http.Request{
			Method:     fuzzVerbs[int(verb)%len(fuzzVerbs)],
			URL:        &url.URL{Path: "/method/" + name, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{},
			Body:       io.NopCloser(bytes.NewReader(body)),
			Host:       "127.0.0.1",
			RemoteAddr: "127.0.0.1:1",
		}
		r = r.WithContext(t.Context())
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if forced != "" {
			r.Header.Set("X-Vkmock-Error", forced)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q", ct)
		}
		env, err := vkerr.DecodeEnvelope(w.Body.Bytes())
		if err != nil {
			t.Fatalf("not a VK envelope: %v: %q", err, w.Body.Bytes())
		}
		if env.Error == nil && env.Response == nil {
			t.Fatalf("neither response nor error: %q", w.Body.Bytes())
		}
		if env.Error != nil && env.Error.Code <= 0 {
			t.Fatalf("bad error code: %q", w.Body.Bytes())
		}
		if bytes.Contains(w.Body.Bytes(), []byte(user)) {
			t.Fatalf("answer leaks the token: %q", w.Body.Bytes())
		}
	})
}
