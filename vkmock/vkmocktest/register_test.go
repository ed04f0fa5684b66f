package vkmocktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
)

// community is a Callback server of vkmock's default community: it
// answers the confirmation with code and every event with "ok", and keeps
// the bodies it got.
type community struct {
	code   string
	mu     sync.Mutex
	bodies []map[string]any
}

func (c *community) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &body)
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	c.mu.Unlock()
	if body["type"] == "confirmation" {
		_, _ = io.WriteString(w, c.code)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func (c *community) got() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.bodies...)
}

// fatalTB is a testing.TB whose Fatal and Fatalf record the message and
// end the goroutine, as a test's do; the rest is the real test's.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// register runs Register with a fatalTB and returns its failure, "" when
// it returned.
func register(t *testing.T, mock *vkmock.Server, u string) string {
	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Register(ft, mock, u, "chaos", "s3cret")
	}()
	<-done
	return ft.msg
}

// Register returns once the mock has confirmed the server, with its title
// and secret, and message_new turned on: the next inbox message reaches it.
func TestRegister(t *testing.T) {
	mock := NewServer(t)
	cm := &community{code: mock.Callback().ConfirmationCode(vkmock.DefaultGroupID)}
	srv := httptest.NewServer(cm)
	defer srv.Close()
	if msg := register(t, mock, srv.URL); msg != "" {
		t.Fatalf("Register failed: %s", msg)
	}
	sv := mock.Callback().Servers(vkmock.DefaultGroupID)
	if len(sv) != 1 || sv[0].Status != vkmock.CallbackOK || !sv[0].Confirmed || sv[0].Title != "chaos" || sv[0].URL != srv.URL ||
		sv[0].SecretKey != "s3cret" || !sv[0].Events["message_new"] {
		t.Fatalf("servers %+v", sv)
	}
	got := cm.got()
	if len(got) != 1 || got[0]["type"] != "confirmation" || got[0]["group_id"] != float64(vkmock.DefaultGroupID) {
		t.Fatalf("the server got %v", got)
	}
	if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if err := mock.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	got = cm.got()
	if len(got) != 2 || got[1]["type"] != "message_new" || got[1]["secret"] != "s3cret" {
		t.Fatalf("the server got %v", got)
	}
	log := mock.Callback().Deliveries()
	if len(log) != 2 || log[0].Outcome != "confirmed" || log[1].Outcome != "ok" {
		t.Fatalf("delivery log %+v", log)
	}
}

// A server that does not answer the confirmation right fails the test, and
// is left without events.
func TestRegisterNotConfirmed(t *testing.T) {
	mock := NewServer(t)
	cm := &community{code: "wrong"}
	srv := httptest.NewServer(cm)
	defer srv.Close()
	msg := register(t, mock, srv.URL)
	if !strings.Contains(msg, "not confirmed") {
		t.Fatalf("Register: %q, want a failure", msg)
	}
	sv := mock.Callback().Servers(vkmock.DefaultGroupID)
	if len(sv) != 1 || sv[0].Status != vkmock.CallbackFailed || sv[0].Confirmed || len(sv[0].Events) != 0 {
		t.Fatalf("servers %+v", sv)
	}
	if log := mock.Callback().Deliveries(); len(log) != 1 || log[0].Outcome != "not_confirmed" {
		t.Fatalf("delivery log %+v", log)
	}
}

// A method error (here an address VK refuses) fails the test too.
func TestRegisterMethodError(t *testing.T) {
	mock := NewServer(t)
	if msg := register(t, mock, "not a url"); !strings.HasPrefix(msg, "groups.addCallbackServer: error 100: ") {
		t.Fatalf("Register: %q, want error 100 of groups.addCallbackServer", msg)
	}
	if sv := mock.Callback().Servers(vkmock.DefaultGroupID); len(sv) != 0 {
		t.Fatalf("servers %+v", sv)
	}
}
