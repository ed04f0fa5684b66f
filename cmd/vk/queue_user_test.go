package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestListenUserQueue: vk listen --user --queue appends a user's updates
// to the queue (its position in the same Redis), and vk listen
// --from-queue prints them as vk listen --user does.
func TestListenUserQueue(t *testing.T) {
	t.Parallel()
	addr, _, name := testQueue(t, userStorePrefix+"*")
	opt, served := vkmocktest.Served("messages.getLongPollServer")
	mock := vkmocktest.NewServer(t, opt)
	url := "redis://" + addr + "/0"
	tok := mock.Tokens().Of(vkmock.TokenUser).Token
	const n = 3
	done := make(chan struct{})
	var code int
	var out, errOut string
	go func() {
		defer close(done)
		code, out, errOut = vk(t, "", "listen", "--user", "--base-url", mock.URL(), "--token", tok, "--queue", url, "--queue-name", name, "--max-events", fmt.Sprint(n))
	}()
	<-served
	for i := range n {
		up := []json.RawMessage{json.RawMessage("4"), json.RawMessage(fmt.Sprint(100 + i)), json.RawMessage("1"), json.RawMessage(fmt.Sprint(7 + i%2)),
			json.RawMessage("1700000000"), json.RawMessage(fmt.Sprintf(`"m%d"`, i))}
		if err := mock.UserLongPoll().Inject(vkmock.UserUpdate{UserID: vkmock.DefaultUserID, Update: up}); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if code != 0 || out != "" || !strings.Contains(errOut, "elected (fence") {
		t.Fatalf("listen --user --queue: %d %q %q", code, out, errOut)
	}
	code, out, errOut = vk(t, "", "listen", "--from-queue", url, "--queue-name", name, "--max-events", fmt.Sprint(n), "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != n {
		t.Fatalf("listen --from-queue: %d %q %q", code, out, errOut)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var u map[string]any
		if err := json.Unmarshal([]byte(l), &u); err != nil || u["code"] != 4.0 {
			t.Fatalf("not a message update: %s", l)
		}
		seen[fmt.Sprint(u["text"])] = true
	}
	for i := range n {
		if !seen[fmt.Sprintf("m%d", i)] {
			t.Fatalf("message m%d missing from %q", i, out)
		}
	}
}
