package httpclient

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSameOriginRedirects(t *testing.T) {
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer other.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, srv.URL+"/ok", http.StatusPermanentRedirect)
		case "/ok":
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}
	}))
	defer srv.Close()
	hc := New()
	defer hc.CloseIdleConnections()
	resp, err := hc.Post(srv.URL+"/here", "text/plain", strings.NewReader("file"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "file" {
		t.Fatalf("same origin: %q", b)
	}
	_, err = Guard(&http.Client{}).Post(srv.URL+"/away", "text/plain", strings.NewReader("file"))
	var re *RedirectError
	if !errors.Is(err, ErrCrossOriginRedirect) || !errors.As(err, &re) || strings.Contains(re.Error(), "/x") {
		t.Fatalf("cross origin: %v", err)
	}
	if hits != 0 {
		t.Fatalf("the other origin got %d requests", hits)
	}
}

func TestTransportIsAFreshCloneWithTimeouts(t *testing.T) {
	a, b := Transport(), Transport()
	if a == b || a == http.DefaultTransport || a.Proxy == nil || a.TLSHandshakeTimeout == 0 || a.DialContext == nil || a.IdleConnTimeout == 0 {
		t.Fatalf("%+v", a)
	}
}
