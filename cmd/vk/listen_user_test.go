package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// servedSignal is a slog.Handler for vkmock.WithLogger: it signals on ch
// each time the mock has answered method without an error. The mock logs a
// request after answering it, so a signal means the answer is decided.
type servedSignal struct {
	method string
	ch     chan<- struct{}
}

func (h servedSignal) Enabled(context.Context, slog.Level) bool { return true }

func (h servedSignal) Handle(_ context.Context, r slog.Record) error {
	var method bool
	code := int64(-1)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			method = a.Value.String() == h.method
		case "error_code":
			code = a.Value.Int64()
		}
		return true
	})
	if method && code == 0 {
		select {
		case h.ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
	return nil
}

func (h servedSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h servedSignal) WithGroup(string) slog.Handler      { return h }

// vk listen --user prints the update that reaches the user's stream after
// it got its Long Poll server (it starts from the current ts).
func TestListenUser(t *testing.T) {
	served := make(chan struct{}, 1)
	mock := vkmocktest.NewServer(t, vkmock.WithLogger(slog.New(servedSignal{method: "messages.getLongPollServer", ch: served})))
	tok := mock.Tokens().Of(vkmock.TokenUser).Token
	done := make(chan struct{})
	var code int
	var out, errOut string
	go func() {
		defer close(done)
		code, out, errOut = vk(t, "", "listen", "--user", "--base-url", mock.URL(), "--token", tok, "--max-events", "1", "--json")
	}()
	// The listener's ts is fixed once getLongPollServer has answered: an
	// update injected after that is newer, and its a_check returns it.
	select {
	case <-served:
	case <-done:
		t.Fatalf("vk listen --user ended before getting its server: %d %q %q", code, out, errOut)
	}
	up := []json.RawMessage{json.RawMessage("4"), json.RawMessage("1"), json.RawMessage("1"), json.RawMessage("7"), json.RawMessage("1"), json.RawMessage(`"hi"`)}
	if err := mock.UserLongPoll().Inject(vkmock.UserUpdate{UserID: vkmock.DefaultUserID, Update: up}); err != nil {
		t.Fatal(err)
	}
	<-done
	var line map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &line) != nil || line["code"] != 4.0 || line["message_id"] != 1.0 || line["flags"] != 1.0 ||
		line["peer_id"] != 7.0 || line["text"] != "hi" {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	if n := len(mock.Requests().Of("messages.getLongPollServer")); n != 1 {
		t.Fatalf("getLongPollServer called %d times, want 1", n)
	}
	if strings.Contains(out+errOut, tok) {
		t.Fatal("the token leaked")
	}
}
