package callback

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// collector records the events handed to it.
type collector struct {
	mu   sync.Mutex
	ids  []string
	got  chan string
	gate chan struct{} // when not nil, each event waits for a receive
}

func newCollector() *collector { return &collector{got: make(chan string, 100)} }

func (c *collector) HandleEvent(ctx context.Context, e *vkevent.Event) error {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.ids = append(c.ids, e.EventID)
	c.mu.Unlock()
	c.got <- e.EventID
	return nil
}

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cb", strings.NewReader(body)))
	return w
}

func eventBody(id, secret string) string {
	return `{"type":"message_new","event_id":"` + id + `","v":"5.199","group_id":1,"secret":"` + secret + `","object":{"message":{"id":1,"peer_id":7,"from_id":7,"text":"hi"}}}`
}

func mustNew(t *testing.T, cfg Config) *Receiver {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestAnswers(t *testing.T) {
	c := newCollector()
	r := mustNew(t, Config{Secret: "s3cret", Confirmation: "abc123", GroupID: 1, Handler: c})
	for _, tc := range []struct {
		name, method, body string
		status             int
		answer             string
	}{
		{"confirmation", "POST", `{"type":"confirmation","group_id":1}`, 200, "abc123"},
		{"confirmation with the secret", "POST", `{"type":"confirmation","group_id":1,"secret":"s3cret"}`, 200, "abc123"},
		{"confirmation with a wrong secret", "POST", `{"type":"confirmation","group_id":1,"secret":"nope"}`, 403, ""},
		{"confirmation of another community", "POST", `{"type":"confirmation","group_id":2}`, 403, ""},
		{"wrong secret", "POST", eventBody("e1", "s3creT"), 403, ""},
		{"no secret", "POST", eventBody("e1", ""), 403, ""},
		{"not json", "POST", `ok`, 400, ""},
		{"no type", "POST", `{"group_id":1}`, 400, ""},
		{"get", "GET", ``, 405, ""},
		{"event", "POST", eventBody("e1", "s3cret"), 200, "ok"},
		{"resend", "POST", eventBody("e1", "s3cret"), 200, "ok"},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(tc.method, "/cb", strings.NewReader(tc.body)))
		if w.Code != tc.status || (tc.answer != "" && w.Body.String() != tc.answer) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, w.Code, w.Body.String(), tc.status, tc.answer)
		}
		if strings.Contains(w.Body.String(), "s3cret") {
			t.Errorf("%s: the answer shows the secret", tc.name)
		}
	}
	if id := <-c.got; id != "e1" {
		t.Fatalf("handled %q", id)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Accepted != 1 || st.Duplicates != 1 || st.Handled != 1 || st.Confirmations != 2 || st.Refused != 7 {
		t.Fatalf("stats %+v", st)
	}
	if len(c.ids) != 1 {
		t.Fatalf("handled %v", c.ids)
	}
	if w := post(t, r, eventBody("e2", "s3cret")); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after Close: %d %q", w.Code, w.Header())
	}
}

// The handler gets the typed event, without the secret.
func TestTypedEvent(t *testing.T) {
	var r vkevent.Router
	got := make(chan string, 1)
	r.OnMessageNew(func(_ context.Context, e *vkevent.Event, m *vkevent.MessageNew) error {
		if e.Secret != "" {
			t.Error("the handler sees the secret")
		}
		got <- m.Message.Text
		return nil
	})
	rc := mustNew(t, Config{Secret: "x", Handler: &r})
	if w := post(t, rc, eventBody("e", "x")); w.Body.String() != "ok" {
		t.Fatal(w.Body.String())
	}
	if text := <-got; text != "hi" {
		t.Fatalf("text %q", text)
	}
}

// A full queue: the request waits for the budget, then 503 with
// Retry-After, and the claim is released so that the resend is handled.
func TestQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCollector()
		c.gate = make(chan struct{})
		r, err := New(Config{Handler: c, QueueSize: 1, Budget: 50 * time.Millisecond, BusyRetry: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if w := post(t, r, eventBody("a", "")); w.Body.String() != "ok" { // the worker takes it and waits at the gate
			t.Fatal(w.Body.String())
		}
		synctest.Wait()
		if w := post(t, r, eventBody("b", "")); w.Body.String() != "ok" { // queued
			t.Fatal(w.Body.String())
		}
		start := time.Now()
		w := post(t, r, eventBody("c", ""))
		if w.Code != 503 || w.Header().Get("Retry-After") != "30" || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("full queue: %d %v after %v", w.Code, w.Header(), time.Since(start))
		}
		close(c.gate)
		for range 2 {
			<-c.got
		}
		if w := post(t, r, eventBody("c", "")); w.Body.String() != "ok" {
			t.Fatalf("resend: %d %q", w.Code, w.Body.String())
		}
		if id := <-c.got; id != "c" {
			t.Fatalf("handled %q", id)
		}
		if st := r.Stats(); st.Busy != 1 || st.Accepted != 3 || st.Duplicates != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// A failing de-duplication store: 503, nothing handled.
type brokenDedup struct{}

func (brokenDedup) Claim(context.Context, string) (bool, error) { return false, errors.New("down") }
func (brokenDedup) Release(context.Context, string) error       { return nil }

func TestDedupFailure(t *testing.T) {
	c := newCollector()
	r := mustNew(t, Config{Handler: c, Dedup: brokenDedup{}})
	if w := post(t, r, eventBody("a", "")); w.Code != 503 {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
	_ = r.Close()
	if len(c.ids) != 0 {
		t.Fatal(c.ids)
	}
}

// A handler's error and panic are reported; the worker goes on.
func TestHandlerFailures(t *testing.T) {
	errs := make(chan error, 2)
	n := 0
	h := vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error {
		n++
		switch n {
		case 1:
			return errors.New("boom")
		case 2:
			panic("bang")
		}
		return nil
	})
	r := mustNew(t, Config{Handler: h, OnError: func(_ *vkevent.Event, err error) { errs <- err }})
	for _, id := range []string{"a", "b", "c"} {
		post(t, r, eventBody(id, ""))
	}
	if err := <-errs; err.Error() != "boom" {
		t.Fatal(err)
	}
	var p *HandlerPanic
	if err := <-errs; !errors.As(err, &p) || p.Value != "bang" {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Handled != 3 || st.Failed != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// Close lets the queued events be handled; Shutdown with an ended context
// cancels the handlers and drops the rest.
func TestShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCollector()
		c.gate = make(chan struct{})
		r, _ := New(Config{Handler: c, QueueSize: 10})
		for _, id := range []string{"a", "b", "c"} {
			post(t, r, eventBody(id, ""))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v", err)
		}
		if len(c.ids) != 0 {
			t.Fatal(c.ids)
		}
		if err := r.Close(); !errors.Is(err, ErrClosed) {
			t.Fatalf("second Close: %v", err)
		}

		c2 := newCollector()
		r2, _ := New(Config{Handler: c2, QueueSize: 10})
		for _, id := range []string{"a", "b", "c"} {
			post(t, r2, eventBody(id, ""))
		}
		if err := r2.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(c2.ids, ",") != "a,b,c" {
			t.Fatalf("handled %v", c2.ids)
		}
	})
}

func TestMemoryDedupWindow(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDedup(3)
	for _, id := range []string{"a", "b", "c"} {
		if ok, _ := d.Claim(ctx, id); !ok {
			t.Fatal(id)
		}
	}
	if ok, _ := d.Claim(ctx, "a"); ok {
		t.Fatal("a claimed twice")
	}
	_ = d.Release(ctx, "b")
	if ok, _ := d.Claim(ctx, "b"); !ok { // evicts a
		t.Fatal("released b not claimable")
	}
	if ok, _ := d.Claim(ctx, "a"); !ok { // evicts the stale slot of b: b stays
		t.Fatal("a not forgotten")
	}
	if ok, _ := d.Claim(ctx, "b"); ok {
		t.Fatal("b forgotten by its stale slot")
	}
	if d.Len() != 3 {
		t.Fatal(d.Len())
	}
}
