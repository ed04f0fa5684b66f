package callback

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

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

func TestMemoryDedupWindow(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDedup(3)
	for _, id := range []string{"a", "b", "c"} {
		if st, _ := d.Claim(ctx, id); st != Claimed {
			t.Fatal(id, st)
		}
	}
	if st, _ := d.Claim(ctx, "a"); st != InFlight {
		t.Fatal("a claimed twice:", st)
	}
	_ = d.Finish(ctx, "a")
	if st, _ := d.Claim(ctx, "a"); st != Finished {
		t.Fatal("a not finished:", st)
	}
	_ = d.Release(ctx, "a") // a final claim stays
	if st, _ := d.Claim(ctx, "a"); st != Finished {
		t.Fatal("a released after Finish:", st)
	}
	_ = d.Release(ctx, "b")
	if st, _ := d.Claim(ctx, "b"); st != Claimed { // evicts a
		t.Fatal("released b not claimable:", st)
	}
	if st, _ := d.Claim(ctx, "a"); st != Claimed { // evicts the stale slot of b: b stays
		t.Fatal("a not forgotten:", st)
	}
	if st, _ := d.Claim(ctx, "b"); st != InFlight {
		t.Fatal("b forgotten by its stale slot:", st)
	}
	if d.Len() != 3 {
		t.Fatal(d.Len())
	}
}
