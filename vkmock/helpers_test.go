package vkmock

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// fakeClock is a controllable clock.
type fakeClock struct {
	mu  chan struct{}
	now time.Time
}

func newFakeClock() *fakeClock {
	c := &fakeClock{mu: make(chan struct{}, 1), now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	c.now = c.now.Add(d)
}

// answer is a decoded VK answer.
type answer struct {
	status int
	header http.Header
	body   []byte
	env    *vkerr.Envelope
	raw    map[string]json.RawMessage
}

// code returns the error code, 0 for a response.
func (a *answer) code() vkerr.Code {
	if a.env == nil || a.env.Error == nil {
		return 0
	}
	return a.env.Error.Code
}

// call sends a GET (params in the query) to /method/NAME.
func call(t testing.TB, s *Server, name string, params url.Values) *answer {
	t.Helper()
	u := s.URL() + "/method/" + name
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, s, req)
}

// post sends a form POST.
func post(t testing.TB, s *Server, name string, params url.Values, header map[string]string) *answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/method/"+name, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, s, req)
}

func do(t testing.TB, s *Server, req *http.Request) *answer {
	t.Helper()
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	a := &answer{status: resp.StatusCode, header: resp.Header, body: body}
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		env, err := vkerr.DecodeEnvelope(body)
		if err != nil {
			t.Fatalf("not a VK envelope: %v: %s", err, body)
		}
		a.env = env
		if err := json.Unmarshal(body, &a.raw); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// wantError checks that a is a well-formed VK error envelope with the code,
// the message and request_params echoing the request without the token.
func wantError(t testing.TB, a *answer, code vkerr.Code, msg string) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if a.header.Get("Vkmock-Version") != Version {
		t.Fatalf("Vkmock-Version header %q", a.header.Get("Vkmock-Version"))
	}
	if a.env == nil || a.env.Error == nil {
		t.Fatalf("want error %d, got %s", code, a.body)
	}
	if _, ok := a.raw["response"]; ok {
		t.Fatalf("error envelope has a response key: %s", a.body)
	}
	if a.env.Error.Code != code {
		t.Fatalf("error_code %d, want %d: %s", a.env.Error.Code, code, a.body)
	}
	if msg != "" && a.env.Error.Message != msg {
		t.Fatalf("error_msg %q, want %q", a.env.Error.Message, msg)
	}
	if bytes.Contains(a.body, []byte("vk1.a.")) {
		t.Fatalf("answer leaks a token: %s", a.body)
	}
	// The error re-encodes to the same bytes through vkerr.
	again, err := vkerr.Envelope{Error: a.env.Error}.MarshalWire()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(a.body), again) {
		t.Fatalf("answer is not vkerr's encoding:\n got %s\nwant %s", a.body, again)
	}
}

func base(c vkerr.Code) string { return c.Info().MessageEN }

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// testServer starts a server on 127.0.0.1 for the test and closes it when
// the test ends; vkmocktest.NewServer for the tests inside the package.
func testServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("vkmock: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
