package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// vk listen --user prints the update that reaches the user's stream after
// it got its Long Poll server (it starts from the current ts).
func TestListenUser(t *testing.T) {
	opt, served := vkmocktest.Served("messages.getLongPollServer")
	mock := vkmocktest.NewServer(t, opt)
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
