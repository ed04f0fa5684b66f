package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

func TestListen(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two"} {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: s}); err != nil {
			t.Fatal(err)
		}
	}
	// Resume from ts 0, so the events written above are delivered.
	store := filepath.Join(t.TempDir(), "bot.ts")
	if err := os.WriteFile(filepath.Join(filepath.Dir(store), "bot."+strconv.FormatInt(vkmock.DefaultGroupID, 10)+".ts"), []byte("0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := mock.Tokens().Of(vkmock.TokenGroup).Token
	code, out, errOut := vk(t, "", "listen", "--base-url", mock.URL(), "--token", tok, "--store", store, "--max-events", "2", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "vk listen: connected: community 200000001, api_version 5.") {
		t.Errorf("no connected line on stderr: %q", errOut)
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e["type"] != "message_new" || e["text"] != "two" || e["from_id"] != 7.0 {
		t.Fatalf("%s", lines[1])
	}
	if strings.Contains(out+errOut, tok) {
		t.Fatal("the token leaked")
	}
	// The ts was saved: a restart resumes after the two events.
	if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 8, GroupID: vkmock.DefaultGroupID, Text: "three"}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = vk(t, "", "listen", "--base-url", mock.URL(), "--token", tok, "--store", store, "--max-events", "1", "--group", strconv.FormatInt(vkmock.DefaultGroupID, 10))
	if code != 0 || !strings.HasPrefix(out, "message_new ") || !strings.Contains(out, `"three"`) {
		t.Fatalf("%d %q", code, out)
	}
}

func TestListenErrors(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID}); err != nil { // Long Poll off
		t.Fatal(err)
	}
	code, _, errOut := vk(t, "", "listen", "--base-url", mock.URL(), "--token", mock.Tokens().Of(vkmock.TokenGroup).Token)
	want := "vk: community 200000001 has Long Poll off: turn it on in the community's settings (Manage, API usage, Long Poll API) or with vk call groups.setLongPollSettings group_id=200000001 enabled=1 api_version=5.199 message_new=1 --kind group\n"
	if code != 1 || errOut != want {
		t.Fatalf("Long Poll off: %d %q", code, errOut)
	}
	code, _, errOut = vk(t, "", "listen", "--base-url", mock.URL(), "--token", mock.Tokens().Of(vkmock.TokenUser).Token)
	if code != 1 || errOut != "vk: this is a user token: use a community token, or --user\n" {
		t.Fatalf("user token: %d %q", code, errOut)
	}
	t.Setenv("VK_TOKEN", "")
	if code, _, _ := vk(t, "", "listen"); code != 2 {
		t.Fatalf("no token: %d", code)
	}
	if code, _, _ := vk(t, "", "listen", "--token", "x", "--wait", "91s"); code != 2 {
		t.Fatalf("wait: %d", code)
	}
}
