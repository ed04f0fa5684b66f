package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vk runs the command line and returns its exit status and output.
func vk(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func fixture(name string) string {
	return filepath.Join("..", "..", "testdata", "bodies", name)
}

func TestExplain(t *testing.T) {
	code, out, _ := vk(t, "", "explain", "14", "--lang", "en")
	if code != 0 || !strings.Contains(out, "14 Captcha (api_error_captcha)") || !strings.Contains(out, "user_action") {
		t.Errorf("explain 14: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "explain", "too_many", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "Слишком много запросов в секунду.") || !strings.Contains(out, "Что делать:") {
		t.Errorf("explain too_many --lang ru: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "explain", "15", "--json")
	var info map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info["code"] != 15.0 || len(info["subcodes"].([]any)) != 3 {
		t.Errorf("explain 15 --json: %d\n%s", code, out)
	}
	code, out, _ = vk(t, "", "explain", "4242", "--lang", "en")
	if code != 0 || !strings.Contains(out, "unknown code") || !strings.Contains(out, "feature_state") {
		t.Errorf("explain 4242: %d\n%s", code, out)
	}
	if code, _, errOut := vk(t, "", "explain", "no_such_error"); code != 2 || !strings.Contains(errOut, "no VK API error is named") {
		t.Errorf("explain no_such_error: %d %s", code, errOut)
	}
	if code, _, _ := vk(t, "", "explain"); code != 2 {
		t.Errorf("explain without argument: %d", code)
	}
	if code, _, _ := vk(t, "", "explain", "14", "--lang", "de"); code != 2 {
		t.Errorf("--lang de: %d", code)
	}
}

func TestExplainLangFromEnv(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "ru_RU.UTF-8")
	if _, out, _ := vk(t, "", "explain", "6"); !strings.Contains(out, "Слишком много запросов") {
		t.Errorf("LANG=ru: %s", out)
	}
	t.Setenv("LANG", "C.UTF-8")
	if _, out, _ := vk(t, "", "explain", "6"); !strings.Contains(out, "Too many requests per second") {
		t.Errorf("LANG=C: %s", out)
	}
}

func TestExplainAllJSON(t *testing.T) {
	code, out, _ := vk(t, "", "explain", "--all", "--json")
	var all []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil {
		t.Fatalf("explain --all --json: %d", code)
	}
	if len(all) != 251 {
		t.Errorf("%d entries, want 251", len(all))
	}
	for _, e := range all {
		for _, k := range []string{"code", "name", "message_en", "message_ru", "remedy_en", "remedy_ru", "category", "retry", "global", "subcodes"} {
			if _, ok := e[k]; !ok {
				t.Fatalf("entry %v lacks %q", e["code"], k)
			}
		}
		if _, ok := e["subcodes"].([]any); !ok {
			t.Fatalf("entry %v: subcodes is not an array", e["code"])
		}
	}
}

func TestDecodeExitCodes(t *testing.T) {
	tests := []struct {
		file string
		code int
	}{
		{"success.json", 0},
		{"longpoll_ok.json", 0},
		{"error_14_captcha.json", 1},
		{"execute_partial.json", 1},
		{"html_502.html", 1},
		{"upload_docs.json", 1},
		{"oauth_need_validation.json", 1},
		{"longpoll_failed2.json", 1},
	}
	for _, tc := range tests {
		if code, out, errOut := vk(t, "", "decode", fixture(tc.file)); code != tc.code {
			t.Errorf("decode %s: exit %d, want %d\n%s%s", tc.file, code, tc.code, out, errOut)
		}
	}
	code, _, errOut := vk(t, "hello, world", "decode", "-")
	if code != 2 || errOut != "vk: standard input: not a VK API answer: not JSON: \"hello, world\"\n" {
		t.Errorf("decode junk: %d %s", code, errOut)
	}
	if code, _, _ := vk(t, "", "decode", "/no/such/file"); code != 2 {
		t.Errorf("missing file: %d", code)
	}
}

func TestDecodeJSON(t *testing.T) {
	body, err := os.ReadFile(fixture("execute_partial.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := vk(t, string(body), "decode", "--json")
	var list []map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("decode --json: %d\n%s", code, out)
	}
	for _, k := range []string{"code", "name", "message", "category", "method", "remedy"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("decoded error lacks %q", k)
		}
	}
	// No padding: fields the error does not carry are left out.
	for _, k := range []string{"subcode", "text", "captcha_sid", "captcha_img", "redirect_uri", "confirmation_text"} {
		if v, ok := list[0][k]; ok {
			t.Errorf("decoded error pads %q with %v", k, v)
		}
	}
	if list[0]["method"] != "video.getComments" || list[0]["code"] != 18.0 || list[1]["category"] != "permission" {
		t.Errorf("decoded: %v", list)
	}

	code, out, _ = vk(t, "", "decode", "--json", fixture("error_5_invalid.json"))
	if code != 1 || strings.Contains(out, "vk1.a.") || !strings.Contains(out, "[REDACTED]") {
		t.Errorf("decode must redact the token: %s", out)
	}
	code, out, _ = vk(t, "", "decode", fixture("error_14_vkid.json"))
	if code != 1 || !strings.Contains(out, "redirect_uri:") || !strings.Contains(out, "captcha_sid:") {
		t.Errorf("decode human output: %s", out)
	}
}
