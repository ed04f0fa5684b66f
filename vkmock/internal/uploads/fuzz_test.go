package uploads

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// FuzzUpload posts arbitrary bodies, content types and URL parameters to
// the upload endpoint, on a valid upload URL and on spoiled ones: every
// answer is HTTP 200 with a JSON object, never a panic.
func FuzzUpload(f *testing.F) {
	r, _ := newTestRoom(f, Deps{})
	good := r.issueURL("http://127.0.0.1", targetMessages, "", "tok", 1, 0, albumMessages, 0)
	doc := r.issueURL("http://127.0.0.1", targetDoc, "doc", "tok", 1, 0, 0, 0)
	album := r.issueURL("http://127.0.0.1", targetAlbum, "", "tok", 1, 0, 5, 0)
	urls := []string{good, doc, album}
	mp := "--xx\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--xx--\r\n"
	f.Add(uint8(0), "", "multipart/form-data; boundary=xx", []byte(mp))
	f.Add(uint8(1), "", "multipart/form-data; boundary=xx", []byte(strings.ReplaceAll(mp, "photo", "file")))
	f.Add(uint8(2), "", "multipart/form-data; boundary=xx", []byte(strings.ReplaceAll(mp, "photo", "file1")))
	f.Add(uint8(0), "mid=2", "multipart/form-data; boundary=xx", []byte(mp))
	f.Add(uint8(0), "", "text/plain", []byte("hello"))
	f.Add(uint8(1), "_sig=", "multipart/form-data; boundary=", []byte("--\r\n"))
	f.Add(uint8(0), "", "multipart/form-data; boundary=xx", []byte(strings.Replace(mp, "\x89PNG\r\n\x1a\n", string(pngHeader(7000, 6999, 16, 16)), 1)))
	f.Fuzz(func(t *testing.T, which uint8, extra, ctype string, body []byte) {
		u, _ := url.Parse(urls[int(which)%len(urls)])
		if extra != "" {
			q := u.Query()
			if k, v, ok := strings.Cut(extra, "="); ok {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
		}
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		req.URL = u
		req.RequestURI = u.RequestURI()
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
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

// FuzzSave calls the save methods with arbitrary file fields, servers and
// hashes: a save answers objects or a VK error, never a panic, and
// stores nothing it did not answer.
func FuzzSave(f *testing.F) {
	r, _ := newTestRoom(f, Deps{})
	f.Add("photos.saveMessagesPhoto", `[{"photo":"x:0"}]`, "600", "00")
	f.Add("photos.save", `[]`, "601", "")
	f.Add("photos.saveOwnerPhoto", `[]`, "", "")
	f.Add("docs.save", "1|0|0|600|id|a.txt|5||sig", "", "")
	f.Add("photos.saveWallPhoto", `[{"photo":"a:0"},{"photo":"a:1"},{"photo":"a:2"},{"photo":"a:3"},{"photo":"a:4"},{"photo":"a:5"}]`, "1", "h")
	names := MethodNames()
	f.Fuzz(func(t *testing.T, method, file, server, hash string) {
		h := r.Methods()[method]
		if h == nil {
			h = r.Methods()[names[len(method)%len(names)]]
		}
		before := len(r.State().Stored)
		for _, field := range []string{"photo", "photos_list", "file"} {
			q := &core.Request{Name: method, Token: groupToken.Token, HasToken: true, Host: "127.0.0.1",
				Params: []core.KV{{Key: field, Value: file}, {Key: "server", Value: server}, {Key: "hash", Value: hash}}}
			b, e := h(q, groupToken)
			if (e == nil) == (b == nil) {
				t.Fatalf("%s %s=%q: answer %q and error %v", method, field, file, b, e)
			}
		}
		if n := len(r.State().Stored); n != before {
			t.Fatalf("%d uploads stored from made-up saves", n-before)
		}
	})
}
