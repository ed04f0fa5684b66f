package core

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// TestWriteBody: a whole body, and a truncated one on a writer that
// cannot be hijacked (HTTP/2): the length of the whole, half the bytes.
func TestWriteBody(t *testing.T) {
	w := httptest.NewRecorder()
	WriteBody(w, []byte(`{"response":1}`), false)
	if w.Code != http.StatusOK || w.Body.String() != `{"response":1}` || w.Header().Get("Content-Length") != "14" {
		t.Fatalf("whole: %d %q %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	WriteBody(w, []byte(`{"response":1}`), true)
	if w.Body.String() != `{"respo` || w.Header().Get("Content-Length") != "14" {
		t.Fatalf("truncated: %q %v", w.Body, w.Header())
	}
}

// TestWriteHTML: a proxy's page with the status and its text.
func TestWriteHTML(t *testing.T) {
	w := httptest.NewRecorder()
	WriteHTML(w, http.StatusBadGateway)
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "502 Bad Gateway") || w.Header().Get("Content-Type") != "text/html" {
		t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
	}
}

// TestCaller: the user, minus the community, 0 for a service token.
func TestCaller(t *testing.T) {
	for _, c := range []struct {
		tok  Token
		want int64
	}{
		{Token{Kind: vkerr.KindUser, UserID: 5, GroupID: 9}, 5},
		{Token{Kind: vkerr.KindGroup, UserID: 5, GroupID: 9}, -9},
		{Token{Kind: vkerr.KindService, UserID: 5, GroupID: 9}, 0},
	} {
		if got := Caller(c.tok); got != c.want {
			t.Errorf("%v: %d, want %d", c.tok.Kind, got, c.want)
		}
	}
}
