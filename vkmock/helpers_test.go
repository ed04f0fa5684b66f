package vkmock

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// validateValue checks a JSON value against a response type.
func validateValue(t *rtype, v any, path string, depth int) error {
	if depth > 64 {
		return nil
	}
	if len(t.oneOf) > 0 {
		var errs []string
		for _, o := range t.oneOf {
			err := validateValue(o, v, path, depth+1)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no oneOf member: %s", path, strings.Join(errs, "; "))
	}
	if len(t.enum) > 0 {
		b, _ := json.Marshal(v)
		for _, e := range t.enum {
			var ev any
			_ = json.Unmarshal(e, &ev)
			eb, _ := json.Marshal(ev)
			if bytes.Equal(b, eb) {
				return nil
			}
		}
		return fmt.Errorf("%s: %s not in enum", path, b)
	}
	switch x := v.(type) {
	case map[string]any:
		if t.kinds&kObject == 0 {
			return fmt.Errorf("%s: object, want %s", path, t.raw.Kind)
		}
		for _, p := range t.props {
			pv, ok := x[p.name]
			if !ok {
				if p.required {
					return fmt.Errorf("%s: required %s missing", path, p.name)
				}
				continue
			}
			if err := validateValue(p.typ, pv, path+"."+p.name, depth+1); err != nil {
				return err
			}
		}
		if t.hasProps {
			for k := range x {
				found := false
				for _, p := range t.props {
					if p.name == k {
						found = true
					}
				}
				if !found {
					return fmt.Errorf("%s: unknown property %s", path, k)
				}
			}
		}
		if t.maxProps >= 0 && len(x) > t.maxProps {
			return fmt.Errorf("%s: %d properties, max %d", path, len(x), t.maxProps)
		}
	case []any:
		if t.kinds&kArray == 0 {
			return fmt.Errorf("%s: array, want %s", path, t.raw.Kind)
		}
		if len(x) < t.minItems || t.maxItems >= 0 && len(x) > t.maxItems {
			return fmt.Errorf("%s: %d items", path, len(x))
		}
		if t.items != nil {
			for i, e := range x {
				if err := validateValue(t.items, e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
	case string:
		if t.kinds&kString == 0 {
			return fmt.Errorf("%s: string, want %s", path, t.raw.Kind)
		}
		if t.uri {
			// The mock's own URLs (upload_url) are on the test server.
			if _, err := url.Parse(x); err != nil || !strings.HasPrefix(x, "https://") && !strings.HasPrefix(x, "http://127.0.0.1:") {
				return fmt.Errorf("%s: %q is not a URL", path, x)
			}
		}
	case json.Number:
		if t.kinds&(kInteger|kNumber) == 0 {
			return fmt.Errorf("%s: number, want %s", path, t.raw.Kind)
		}
		f, err := x.Float64()
		if err != nil {
			return err
		}
		if t.kinds&kNumber == 0 {
			if _, err := x.Int64(); err != nil {
				return fmt.Errorf("%s: %s is not an integer", path, x)
			}
		}
		if t.hasMin && f < t.min || t.hasMax && f > t.max {
			return fmt.Errorf("%s: %s out of range", path, x)
		}
	case bool:
		if t.kinds&kBoolean == 0 {
			return fmt.Errorf("%s: boolean, want %s", path, t.raw.Kind)
		}
	case nil:
		if t.kinds != kAny {
			return fmt.Errorf("%s: null, want %s", path, t.raw.Kind)
		}
	}
	return nil
}

func decodeNumber(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
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
