package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCallMock(t *testing.T) {
	code, out, errOut := vk(t, "", "call", "utils.getServerTime", "--mock")
	var n int64
	if code != 0 || json.Unmarshal([]byte(out), &n) != nil {
		t.Fatalf("call utils.getServerTime --mock: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = vk(t, "", "call", "Users.get", "user_ids=1", "--mock", "--lang", "en")
	if code != 1 || !strings.Contains(out, "Unknown method passed (code 3, api_error_method)") || !strings.Contains(out, "remedy:") {
		t.Errorf("unknown method: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "call", "users.get", "--mock", "--token", "vk1.a.not-a-mock-token", "--json")
	var d map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &d) != nil || d["code"] != 5.0 || d["category"] != "auth" {
		t.Errorf("bad token: %d\n%s", code, out)
	}
	if strings.Contains(out, "not-a-mock-token") {
		t.Errorf("the token leaked into the output: %s", out)
	}
	code, out, _ = vk(t, "", "call", "groups.getById", "group_id=1", "--mock", "--kind", "group")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "{") && !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Errorf("group token: %d\n%s", code, out)
	}
}

func TestCallUsage(t *testing.T) {
	t.Setenv("VK_TOKEN", "")
	for _, args := range [][]string{
		{"call"},
		{"call", "users.get"}, // no token
		{"call", "users.get", "novalue", "--mock"}, // not key=value
		{"call", "users.get", "--mock", "--kind", "bot"},
	} {
		if code, _, errOut := vk(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
