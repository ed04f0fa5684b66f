package streaming

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// FuzzCompile: any rule is accepted within VK's limits or refused with a
// rules code; an accepted rule matches without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{`кот -собака`, `"рыжий кот"`, `"open`, `-a -b`, ``, `a "b" -"c d"`, `- "" x`} {
		f.Add(s, "tag", "Рыжий кот и собака")
	}
	f.Fuzz(func(t *testing.T, value, tag, text string) {
		c, code := compile(Rule{Value: value, Tag: tag})
		if code != 0 {
			if code < 2000 || !code.Known() {
				t.Fatalf("compile(%q) = %d", value, code)
			}
			return
		}
		if len(c.words) == 0 || len(c.words) > MaxKeywords || len(value) > MaxValueBytes || len(tag) > MaxTagBytes {
			t.Fatalf("compile(%q) accepted %d keywords", value, len(c.words))
		}
		c.matches(text, textWords(text))
	})
}

// FuzzServeRules: any request to the rules endpoint gets {"code":200,...}
// or a Streaming error in VK's shape.
func FuzzServeRules(f *testing.F) {
	f.Add("POST", "application/json", `{"rule":{"value":"кот","tag":"cats"}}`)
	f.Add("DELETE", "application/json", `{"tag":"cats"}`)
	f.Add("GET", "", ``)
	f.Add("PATCH", "text/plain", `x`)
	h := New(Config{})
	key := h.Key(1)
	f.Fuzz(func(t *testing.T, method, ct, body string) {
		if !validMethod(method) {
			return
		}
		req := httptest.NewRequest(method, "/rules?key="+key, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeRules(w, req)
		_, err := vkerr.DecodeStreaming(w.Body.Bytes())
		if err != nil {
			if _, ok := err.(*vkerr.StreamingError); !ok || w.Code != http.StatusBadRequest {
				t.Fatalf("%s %q: %d %s", method, body, w.Code, w.Body)
			}
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}

// FuzzReadFrame: any bytes from a client are a frame or an error, within
// the frame bound.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0x89, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0xfe, 0xff, 0xff})
	f.Add([]byte{0x88, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &wsConn{br: bufio.NewReader(bytes.NewReader(b))}
		for range 10 {
			_, p, err := c.readFrame()
			if err != nil {
				return
			}
			if len(p) > maxClientFrame {
				t.Fatalf("a frame of %d bytes", len(p))
			}
		}
	})
}
