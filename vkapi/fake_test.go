package vkapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock"
)

// fakeVK is a small VK API server for unit tests: it speaks the wire format
// (POST form to /method/NAME, Bearer token, HTTP 200 envelopes) and answers
// whatever the test's handler says.
type fakeVK struct {
	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []fakeReq
	handler func(r fakeReq) reply
	// recordDetect hands the client's token-kind detection
	// (groups.getTokenPermissions) to the handler like any request.
	recordDetect bool
}

type fakeReq struct {
	N      int // 1-based arrival number
	Method string
	Form   url.Values
	Token  string // from Authorization: Bearer
	URL    string
	Body   string
	Header http.Header
	At     time.Time
}

type reply struct {
	status   int    // 0 means 200
	body     string // the body; "" with status 0 means {"response":1}
	ctype    string // "" means application/json
	reset    bool   // drop the connection without an answer
	truncate bool   // announce the full length, send half, drop the connection
	delay    time.Duration
}

func newFakeVK(t testing.TB, h func(r fakeReq) reply) *fakeVK {
	f := &fakeVK{t: t, handler: h}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVK) URL() string {
	if f.srv == nil {
		return memURL
	}
	return f.srv.URL
}

func (f *fakeVK) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if r.URL.Path == "/method/"+detectMethod && !f.recordDetect {
		// The client's detection of a token's kind: the fake's tokens are
		// user tokens, and VK answers a user token so. Not recorded, so
		// that the tests count the requests of their calls only.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, vkError(15, "Access denied: no access to call this method", nil))
		return
	}
	q := fakeReq{
		Method: strings.TrimPrefix(r.URL.Path, "/method/"),
		Form:   form, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
		URL: r.URL.String(), Body: string(body), Header: r.Header.Clone(), At: time.Now(),
	}
	f.mu.Lock()
	q.N = len(f.reqs) + 1
	f.reqs = append(f.reqs, q)
	h := f.handler
	f.mu.Unlock()
	rep := reply{}
	if h != nil {
		rep = h(q)
	}
	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.reset {
		panic(http.ErrAbortHandler)
	}
	if rep.status == 0 && rep.body == "" {
		rep.body = `{"response":1}`
	}
	ct := rep.ctype
	if ct == "" {
		ct = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if rep.status == 0 {
		rep.status = 200
	}
	if rep.truncate {
		w.Header().Set("Content-Length", itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body[:len(rep.body)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeVK) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

func (f *fakeVK) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// vkError is the body of an error envelope, as VK sends it, with
// request_params echoing method and the given fields merged in.
func vkError(code int, msg string, fields map[string]any) string {
	e := map[string]any{
		"error_code": code,
		"error_msg":  msg,
		"request_params": []map[string]string{
			{"key": "v", "value": "5.199"}, {"key": "method"}, {"key": "oauth", "value": "1"},
		},
	}
	for k, v := range fields {
		e[k] = v
	}
	b, err := json.Marshal(map[string]any{"error": e})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ok(v any) reply {
	b, err := json.Marshal(map[string]any{"response": v})
	if err != nil {
		panic(err)
	}
	return reply{body: string(b)}
}

func errReply(code int, msg string, fields map[string]any) reply {
	return reply{body: vkError(code, msg, fields)}
}

// fastRetry is a retry policy for tests: tiny backoff.
var fastRetry = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 10 * time.Second}

// newMemFakeVK is a fakeVK served in memory, without a listener, for tests
// under testing/synctest (network waits are not durable blocking there):
// give the client memClient(f) as its HTTP client. A reset answers as a
// connection reset, a truncated body ends in io.ErrUnexpectedEOF.
func newMemFakeVK(t testing.TB, h func(r fakeReq) reply) *fakeVK {
	return &fakeVK{t: t, handler: h}
}

// memURL is the base URL of an in-memory fakeVK.
const memURL = "http://vk.test"

// memClient returns an HTTP client whose requests f serves in memory.
func memClient(f *fakeVK) *http.Client {
	return &http.Client{Transport: memTransport{http.HandlerFunc(f.serve)}}
}

// memMock is a vkmock server without a listener, for tests under
// testing/synctest; give the client mockClient(s) and memURL.
func memMock(t testing.TB, opts ...vkmock.Option) *vkmock.Server {
	s, err := vkmock.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mockClient returns an HTTP client whose requests s serves in memory.
func mockClient(s *vkmock.Server) *http.Client { return &http.Client{Transport: memTransport{s}} }

// memTransport serves requests with a handler, in memory.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	aborted := func() (aborted bool) {
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					panic(p)
				}
				aborted = true
			}
		}()
		m.h.ServeHTTP(rec, r)
		return false
	}()
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res := rec.Result()
	res.Request = r
	if aborted {
		if !rec.Flushed {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
		}
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(rec.Body.Bytes()), errBody{io.ErrUnexpectedEOF}))
	}
	return res, nil
}

type errBody struct{ err error }

func (e errBody) Read([]byte) (int, error) { return 0, e.err }
