package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
)

func TestCallMock(t *testing.T) {
	t.Parallel()
	code, out, errOut := vk(t, "", "call", "utils.getServerTime", "--mock")
	var n int64
	if code != 0 || json.Unmarshal([]byte(out), &n) != nil {
		t.Fatalf("call utils.getServerTime --mock: %d\n%s%s", code, out, errOut)
	}
	// An error goes to standard error, once, in words; standard output
	// stays empty, so that vk call ... | jq sees no error text.
	code, out, errOut = vk(t, "", "call", "Users.get", "user_ids=1", "--mock", "--lang", "en")
	if code != 1 || out != "" || !strings.Contains(errOut, "code 3, api_error_method: Unknown method passed") ||
		!strings.Contains(errOut, "remedy:") || strings.Count(errOut, "Unknown method passed") != 1 {
		t.Errorf("unknown method: %d\nstdout %q\nstderr %s", code, out, errOut)
	}
	code, out, errOut = vk(t, "", "call", "users.get", "--mock", "--token", "vk1.a.not-a-mock-token", "--json")
	var d map[string]any
	if code != 1 || out != "" || json.Unmarshal([]byte(errOut), &d) != nil || d["code"] != 5.0 || d["category"] != "auth" {
		t.Errorf("bad token: %d\nstdout %q\nstderr %s", code, out, errOut)
	}
	if _, padded := d["captcha_sid"]; padded {
		t.Errorf("--json pads empty fields: %s", errOut)
	}
	if strings.Contains(errOut, "not-a-mock-token") {
		t.Errorf("the token leaked into the output: %s", errOut)
	}
	// A failure below the API (nothing listens) is one line in words, not
	// "(code 0, error)".
	code, out, errOut = vk(t, "", "call", "users.get", "--token", "x", "--base-url", "http://127.0.0.1:1", "--timeout", "1s")
	if code != 1 || out != "" || strings.Contains(errOut, "code 0") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("unreachable: %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, _ = vk(t, "", "call", "groups.getById", "group_id=1", "--mock", "--kind", "group")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "{") && !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Errorf("group token: %d\n%s", code, out)
	}
}

// TestCallDefaultHost: the CLI's default API host is the client's.
func TestCallDefaultHost(t *testing.T) {
	_, out, _ := vk(t, "", "call", "--help")
	if !strings.Contains(out, `(default "`+vkapi.DefaultBaseURL+`")`) {
		t.Errorf("call --help does not show vkapi.DefaultBaseURL %s:\n%s", vkapi.DefaultBaseURL, out)
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
