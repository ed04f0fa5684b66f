package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func wireFile(t *testing.T, prefix string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("..", "..", "vkevent", "testdata", prefix+"-*.json"))
	if err != nil || len(m) != 1 {
		t.Fatalf("wire example %s: %v", prefix, m)
	}
	return m[0]
}

func TestEventsLines(t *testing.T) {
	code, out, errOut := vk(t, "", "events", wireFile(t, "04"))
	if code != 0 || out != "message_new 810c3002e50fb85d205fdbbfa23c03a7dd05706b group 202308925 peer 326596496 from 326596496 cmid 9 \"Добрый день!\"\n" {
		t.Fatalf("%d %q %s", code, out, errOut)
	}
	b, err := os.ReadFile(wireFile(t, "54"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = vk(t, string(b), "events", "-")
	if code != 0 || !strings.HasPrefix(out, "wall_post_new group 124752609\n") || strings.Contains(out, "SECRET") {
		t.Fatalf("%d %q", code, out)
	}
	code, out, _ = vk(t, `{"type":"confirmation","group_id":5}`, "events")
	if code != 0 || !strings.Contains(out, "confirmation group 5 (answer with") {
		t.Fatalf("%d %q", code, out)
	}
}

func TestEventsJSON(t *testing.T) {
	code, out, _ := vk(t, "", "events", "--json", wireFile(t, "10"))
	var got []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 {
		t.Fatalf("%d %s", code, out)
	}
	e := got[0]
	for k, want := range map[string]any{"type": "message_new", "event_id": "c5c49f0e085dfe58f4404c5c6429465a1969b8f6", "group_id": 222363225.0, "v": "5.131",
		"peer_id": 2000000001.0, "from_id": 51383207.0, "text": "дай ответ", "conversation_message_id": 97.0} {
		if e[k] != want {
			t.Errorf("%s = %v, want %v", k, e[k], want)
		}
	}
	// a legacy message_new, a non-message event and a Callback secret
	body := `{"ts":3,"updates":[{"type":"message_new","object":{"id":1,"user_id":9,"body":"old"},"group_id":1,"event_id":"a"},{"type":"group_join","object":{"user_id":9,"join_type":"join"},"group_id":1,"event_id":"b","v":"5.199"}]}`
	code, out, _ = vk(t, body, "events", "--json")
	got = nil
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 2 || got[0]["text"] != "old" || got[0]["from_id"] != 9.0 || got[0]["v"] != "" {
		t.Fatalf("%d %s", code, out)
	}
	if _, ok := got[1]["peer_id"]; ok || got[1]["type"] != "group_join" {
		t.Fatalf("group_join: %v", got[1])
	}
	code, out, _ = vk(t, `{"type":"message_new","object":{"message":{"text":"x"}},"group_id":1,"event_id":"e","secret":"s3cr3t-value"}`, "events", "--json")
	if code != 0 || strings.Contains(out, "s3cr3t") || !strings.Contains(out, `"text": "x"`) {
		t.Fatalf("%d %s", code, out)
	}
	code, out, _ = vk(t, `{"ts":"9","updates":[]}`, "events", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty: %d %q", code, out)
	}
}

func TestEventsFailed(t *testing.T) {
	for prefix, want := range map[string]string{"15": "continue with ts 589", "17": "keep your ts", "18": "report the events between"} {
		code, out, errOut := vk(t, "", "events", wireFile(t, prefix))
		if code != 1 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: %d %q %q", prefix, code, out, errOut)
		}
	}
	if code, _, errOut := vk(t, `{"failed":7}`, "events"); code != 1 || !strings.Contains(errOut, "back off") {
		t.Errorf("failed 7: %d %s", code, errOut)
	}
}

func TestEventsNotEvents(t *testing.T) {
	for _, body := range []string{``, `<html>502 Bad Gateway</html>`, `{"response":{"key":"k","server":"s","ts":"1"}}`, `{"error":{"error_code":5,"error_msg":"User authorization failed: access_token=abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"}}`, `["a",2]`, `[]`, `[4,1,`, `{"ts":"1","upd`, `{"type":7}`} {
		code, out, errOut := vk(t, body, "events")
		if code != 2 || out != "" || errOut == "" || strings.Contains(errOut, "abcdef0123456789abcdef") {
			t.Errorf("%q: %d %q %q", body, code, out, errOut)
		}
	}
	if code, _, _ := vk(t, "", "events", filepath.Join(t.TempDir(), "missing.json")); code != 2 {
		t.Errorf("missing file: %d", code)
	}
}
