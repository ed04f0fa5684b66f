package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// userStoreMock is this file's one way to the mock: a server whose
// messages.getLongPollServer answers are signalled on served, its user
// token, and a function that writes a message to the token's user.
func userStoreMock(t *testing.T) (url, token string, served <-chan struct{}, send func(id int, text string)) {
	opt, served := vkmocktest.Served("messages.getLongPollServer")
	mock := vkmocktest.NewServer(t, opt)
	send = func(id int, text string) {
		up := []json.RawMessage{json.RawMessage("4"), json.RawMessage(fmt.Sprint(id)), json.RawMessage("1"), json.RawMessage("7"),
			json.RawMessage("1700000000"), json.RawMessage(fmt.Sprintf("%q", text))}
		if err := mock.UserLongPoll().Inject(vkmock.UserUpdate{UserID: vkmock.DefaultUserID, Update: up}); err != nil {
			t.Fatal(err)
		}
	}
	return mock.URL(), mock.Tokens().Of(vkmock.TokenUser).Token, served, send
}

// vk listen --user --store: stopped after two messages, started again with
// the same store after two more were written, it prints exactly the two
// new ones (nothing lost, nothing repeated).
func TestListenUserStoreResumes(t *testing.T) {
	t.Parallel()
	url, tok, served, send := userStoreMock(t)
	store := filepath.Join(t.TempDir(), "user.ts")
	run := func(before func()) (int, string, string) {
		done := make(chan struct{})
		var code int
		var out, errOut string
		go func() {
			defer close(done)
			code, out, errOut = vk(t, "", "listen", "--user", "--base-url", url, "--token", tok, "--store", store, "--max-events", "2")
		}()
		before()
		<-done
		return code, out, errOut
	}
	code, out, errOut := run(func() {
		// The first run starts from the server's ts: messages written
		// after its getLongPollServer are newer.
		<-served
		send(1, "one")
		send(2, "two")
	})
	want := "4 message_new message 1 peer 7 flags 1 \"one\"\n4 message_new message 2 peer 7 flags 1 \"two\"\n"
	if code != 0 || out != want {
		t.Fatalf("first run: %d %q %q", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(store), "user.*"))
	if len(files) == 0 {
		t.Fatal("no position file beside the store path")
	}
	// Written while no listener runs.
	send(3, "three")
	send(4, "four")
	code, out, errOut = run(func() {})
	want = "4 message_new message 3 peer 7 flags 1 \"three\"\n4 message_new message 4 peer 7 flags 1 \"four\"\n"
	if code != 0 || out != want {
		t.Fatalf("restart: %d %q %q", code, out, errOut)
	}
	b, err := os.ReadFile(files[0])
	if err != nil || strings.Contains(string(b), tok) {
		t.Fatalf("position file: %v", err)
	}
}
