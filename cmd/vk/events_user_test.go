package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// vk events names every field of a User Long Poll update for its version:
// reads (6, 7) with their peer and local_id, version 19's cmid, the named
// elements of the other codes, the array of an unknown one.
func TestEventsUserCodes(t *testing.T) {
	body := `{"ts":10,"pts":20,"updates":[` +
		`[4,1234,1,2000000001,1700000000,"hi",{}],` +
		`[6,2000000001,1230],[7,214914887,82032],` +
		`[2,1234,128,2000000001],[3,1234,128,2000000001],` +
		`[10004,77,1,0,2000000001,1700000000,"v19",{},{},5,1235,0],` +
		`[10006,2000000001,77,2],[10007,2000000001,76,0],` +
		`[10002,77,8,2000000001],` +
		`[8,-42,7,1700000000],[80,3,0],[63,2000000001,[1,2],2,1700000000],[999,"x"]]}`
	code, out, errOut := vk(t, body, "events")
	want := []string{
		`4 message_new message 1234 peer 2000000001 flags 1 "hi"`,
		`6 read_in peer 2000000001 up to local_id 1230`,
		`7 read_out peer 214914887 up to local_id 82032`,
		`2 flags_set message 1234 peer 2000000001 flags 128`,
		`3 flags_reset message 1234 peer 2000000001 flags 128`,
		`10004 message_new message 1235 cmid 77 peer 2000000001 flags 1 "v19"`,
		`10006 read_in peer 2000000001 up to cmid 77 unread 2`,
		`10007 read_out peer 2000000001 up to cmid 76 unread 0`,
		`10002 flags_set cmid 77 peer 2000000001 flags 8`,
		`8 friend_online user_id=-42 extra=7 timestamp=1700000000`,
		`80 unread_count count=3 count_with_notifications=0`,
		`63 typing peer_id=2000000001 user_ids=[1,2] total_count=2 ts=1700000000`,
		`999 [999,"x"]`,
	}
	if code != 0 || out != strings.Join(want, "\n")+"\n" {
		t.Fatalf("%d %q\ngot:\n%s\nwant:\n%s", code, errOut, out, strings.Join(want, "\n"))
	}

	code, out, errOut = vk(t, body, "events", "--json")
	var lines []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != len(want) {
		t.Fatalf("--json: %d %q %s", code, errOut, out)
	}
	checks := []struct {
		i    int
		key  string
		want any
	}{
		{1, "peer_id", 2000000001.0}, {1, "local_id", 1230.0}, {1, "name", "read_in"},
		{2, "local_id", 82032.0}, {2, "version", 3.0},
		{6, "conversation_message_id", 77.0}, {6, "unread", 2.0}, {6, "version", 19.0},
		{5, "message_id", 1235.0}, {5, "conversation_message_id", 77.0},
	}
	for _, c := range checks {
		if got := lines[c.i][c.key]; got != c.want {
			t.Errorf("line %d %s = %v, want %v", c.i, c.key, got, c.want)
		}
	}
	if f, _ := lines[9]["fields"].(map[string]any); f["user_id"] != -42.0 {
		t.Errorf("code 8's fields: %v", lines[9])
	}
}

// vk events takes one update array pasted from a log as well as an answer.
func TestEventsUserSingleUpdate(t *testing.T) {
	code, out, errOut := vk(t, "  [4,1234,1,2000000001,1700000000,\"hi\",{}]\n", "events")
	if code != 0 || out != "4 message_new message 1234 peer 2000000001 flags 1 \"hi\"\n" {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	code, out, errOut = vk(t, `[7,214914887,82032]`, "events", "--json")
	var lines []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != 1 || lines[0]["peer_id"] != 214914887.0 || lines[0]["local_id"] != 82032.0 {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	for _, body := range []string{`["a",1]`, `[]`, `[1.5,2]`, `[4,1`} {
		if code, out, errOut := vk(t, body, "events"); code != 2 || out != "" || errOut == "" {
			t.Errorf("%q: %d %q %q", body, code, out, errOut)
		}
	}
}

// FuzzUserUpdateLine: any bytes give a line or an error, never a panic.
func FuzzUserUpdateLine(f *testing.F) {
	for _, s := range []string{`[4,1,1,7,1,"hi",{}]`, `[10006,1,2,3]`, `[8]`, `{"ts":1,"updates":[[63],[80,"x"]]}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ups, err := decodeUserUpdates(b)
		if err != nil {
			return
		}
		for i := range ups {
			_ = newUserUpdateLine(&ups[i]).String()
		}
	})
}
