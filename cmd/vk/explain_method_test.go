package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplainMethod(t *testing.T) {
	code, out, _ := vk(t, "", "explain", "--method", "messages.send", "--lang", "en")
	if code != 0 || !strings.Contains(out, "25 errors the schema lists") || !strings.Contains(out, "901 MessagesDenySend") ||
		!strings.Contains(out, "messages.isMessagesFromGroupAllowed") {
		t.Errorf("explain --method messages.send: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "explain", "--method", "wall.post", "--json")
	var infos []struct {
		Code int `json:"code"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &infos) != nil || len(infos) == 0 || infos[0].Code != 219 {
		t.Errorf("explain --method wall.post --json: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "explain", "--method", "users.get", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("explain --method users.get --json: %d\n%s", code, out)
	}
	if code, _, errOut := vk(t, "", "explain", "--method", "no.such"); code != 2 || !strings.Contains(errOut, "no method") {
		t.Errorf("explain --method no.such: %d %s", code, errOut)
	}
	if code, _, _ := vk(t, "", "explain", "--method", "users.get", "14"); code != 2 {
		t.Errorf("explain --method with a code: %d, want 2", code)
	}
}
