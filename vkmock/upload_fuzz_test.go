package vkmock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzUpload posts arbitrary bodies, content types and URL parameters to
// the upload endpoint, on a valid upload URL and on spoiled ones: every
// answer is HTTP 200 with a JSON object, never a panic.
func FuzzUpload(f *testing.F) {
	s := MustNew(WithRateLimits(false))
	good := s.uploadURL("http://127.0.0.1", targetMessages, "", "tok", 1, 0, albumMessages, 0)
	doc := s.uploadURL("http://127.0.0.1", targetDoc, "doc", "tok", 1, 0, 0, 0)
	album := s.uploadURL("http://127.0.0.1", targetAlbum, "", "tok", 1, 0, 5, 0)
	urls := []string{good, doc, album}
	mp := "--xx\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--xx--\r\n"
	f.Add(uint8(0), "", "multipart/form-data; boundary=xx", []byte(mp))
	f.Add(uint8(1), "", "multipart/form-data; boundary=xx", []byte(strings.ReplaceAll(mp, "photo", "file")))
	f.Add(uint8(2), "", "multipart/form-data; boundary=xx", []byte(strings.ReplaceAll(mp, "photo", "file1")))
	f.Add(uint8(0), "mid=2", "multipart/form-data; boundary=xx", []byte(mp))
	f.Add(uint8(0), "", "text/plain", []byte("hello"))
	f.Add(uint8(1), "_sig=", "multipart/form-data; boundary=", []byte("--\r\n"))
	f.Fuzz(func(t *testing.T, which uint8, extra, ctype string, body []byte) {
		u, _ := url.Parse(urls[int(which)%len(urls)])
		if extra != "" {
			q := u.Query()
			if k, v, ok := strings.Cut(extra, "="); ok {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
		}
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		r.URL = u
		r.RequestURI = u.RequestURI()
		r.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		res := w.Result()
		b, _ := io.ReadAll(res.Body)
		var obj map[string]json.RawMessage
		if res.StatusCode != http.StatusOK || json.Unmarshal(b, &obj) != nil {
			t.Fatalf("answer %d %q", res.StatusCode, b)
		}
		if strings.Contains(string(b), "INTERNAL") {
			t.Fatalf("internal error: %s", b)
		}
	})
}
