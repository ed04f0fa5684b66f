package vkapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// elsewhere is a server of another origin that counts what reaches it and
// whether it carried the token or the form.
type elsewhere struct {
	srv              *httptest.Server
	hits, withSecret atomic.Int32
}

func newElsewhere(t *testing.T, tls bool) *elsewhere {
	e := &elsewhere{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		body := make([]byte, 1024)
		n, _ := r.Body.Read(body)
		if r.Header.Get("Authorization") != "" || strings.Contains(string(body[:n]), "captcha_key") {
			e.withSecret.Add(1)
		}
		_, _ = w.Write([]byte(`{"response":1}`))
	})
	if tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// TestRedirectToAnotherOriginRefused: a 307 to another port of the same
// host, and a redirect from https to http, fail the call with
// ErrCrossOriginRedirect; neither the token nor the form reaches the other
// origin, with the client New makes or with a user's.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	other := newElsewhere(t, false)
	redirect := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}
	plain := httptest.NewServer(http.HandlerFunc(redirect)) // another port of 127.0.0.1
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(redirect)) // https to http
	t.Cleanup(secure.Close)
	for _, tc := range []struct {
		name string
		base string
		hc   *http.Client
	}{
		{"307 to another port", plain.URL, nil},
		{"307 to another port, user's client", plain.URL, &http.Client{}},
		{"https to http, user's client", secure.URL, secure.Client()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New("secretToken", WithBaseURL(tc.base), WithTokenKind(KindUser), WithHTTPClient(tc.hc), WithRetry(fastRetry))
			defer c.Close()
			err := c.Call(context.Background(), "users.get", Params{"captcha_key": "secretKey"}, nil)
			if !errors.Is(err, ErrCrossOriginRedirect) {
				t.Fatalf("err %v", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error carries a secret: %v", err)
			}
			var ce *CallError
			if !errors.As(err, &ce) || ce.Attempts != 1 {
				t.Fatalf("retried a refused redirect: %v", err)
			}
		})
	}
	if other.hits.Load() != 0 || other.withSecret.Load() != 0 {
		t.Fatalf("the other origin got %d requests, %d with a secret", other.hits.Load(), other.withSecret.Load())
	}
}

// TestRedirectWithinOriginFollowed: a redirect to the same origin is
// followed (with the user's own CheckRedirect consulted).
func TestRedirectWithinOriginFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/method/") {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"response":7}`))
	}))
	t.Cleanup(srv.Close)
	var asked atomic.Int32
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { asked.Add(1); return nil }}
	for _, hc := range []*http.Client{nil, hc} {
		c := New("tok", WithBaseURL(srv.URL), WithTokenKind(KindUser), WithHTTPClient(hc))
		var n int
		if err := c.Call(context.Background(), "users.get", nil, &n); err != nil || n != 7 {
			t.Fatalf("%v %d", err, n)
		}
		c.Close()
	}
	if asked.Load() != 1 {
		t.Fatalf("the user's CheckRedirect was asked %d times", asked.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		" 120 ":                         2 * time.Minute,
		"-1":                            0,
		"1.5":                           0,
		"soon":                          0,
		"Mon, 30 Nov 2026 01:00:05 GMT": 5 * time.Second,
		"Mon, 30 Nov 2026 00:59:00 GMT": 0,
		"99999999999999999999":          0,
	} {
		if got := parseRetryAfter(h, now); got != want {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "3", "Mon, 30 Nov 2026 01:00:05 GMT", "-1", "1e9"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, h string) {
		if d := parseRetryAfter(h, now); d < 0 {
			t.Fatalf("%q: negative %v", h, d)
		}
	})
}

// TestRetryAfterHonoured: a 503 or 429 with Retry-After sets the delay
// before the retry, capped by MaxDelay; without one, the backoff decides.
func TestRetryAfterHonoured(t *testing.T) {
	for _, tc := range []struct {
		status   int
		header   string
		maxDelay time.Duration
		want     time.Duration // the exact delay; 0: any backoff up to maxDelay
	}{
		{503, "1", 20 * time.Millisecond, 20 * time.Millisecond}, // capped
		{429, "1", 2 * time.Second, time.Second},
		{503, "", 20 * time.Millisecond, 0},
	} {
		n := 0
		f := newFakeVK(t, func(r fakeReq) reply {
			n++
			if n == 1 {
				return reply{status: tc.status, body: "busy", ctype: "text/plain"}
			}
			return ok(1)
		})
		ctx, cancel := context.WithCancel(context.Background())
		var delays []time.Duration
		obs := ObserverFuncs{Retry: func(_ context.Context, e RetryEvent) {
			delays = append(delays, e.Delay)
			if tc.want >= time.Second {
				cancel() // don't wait it out: the delay is reported already
			}
		}}
		hc := &http.Client{Transport: headerTransport{http.DefaultTransport, tc.header}}
		c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindUser), WithHTTPClient(hc), WithObserver(obs),
			WithRetry(RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: tc.maxDelay}))
		err := c.Call(ctx, "users.get", nil, nil)
		cancel()
		c.Close()
		if tc.want < time.Second && err != nil || tc.want >= time.Second && !errors.Is(err, context.Canceled) {
			t.Fatalf("%d %q: %v", tc.status, tc.header, err)
		}
		if len(delays) != 1 || tc.want != 0 && delays[0] != tc.want || tc.want == 0 && delays[0] > tc.maxDelay {
			t.Errorf("%d %q: delays %v", tc.status, tc.header, delays)
		}
	}
}

// headerTransport adds a Retry-After header to every answer.
type headerTransport struct {
	http.RoundTripper
	retryAfter string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := h.RoundTripper.RoundTrip(r)
	if err == nil && h.retryAfter != "" {
		resp.Header.Set("Retry-After", h.retryAfter)
	}
	return resp, err
}
