package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// The tests of vk in a shell (issue 11): raw HTTP input, --status, lone ads
// items, grammar, Russian labels, the terminal hint, --version, --lang help,
// explain --all columns.

func TestDecodeRawHTTPResponse(t *testing.T) {
	in := "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\r\n"
	code, out, errOut := vk(t, in, "decode", "--lang", "en")
	if code != 1 || !strings.Contains(out, "HTTP 502 Bad Gateway") || !strings.Contains(out, "code 502, http_error") {
		t.Errorf("curl -i 502: %d\n%s%s", code, out, errOut)
	}
	// A 200 response with a VK error: the headers are skipped, the body decoded.
	in = "HTTP/2 200 \r\ncontent-type: application/json; charset=utf-8\r\n\r\n" + `{"error":{"error_code":6,"error_msg":"Too many requests per second"}}`
	if code, out, _ := vk(t, in, "decode", "--lang", "en"); code != 1 || !strings.Contains(out, "code 6, api_error_too_many") {
		t.Errorf("curl -i 200 with error 6: %d\n%s", code, out)
	}
	in = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"response\":1}"
	if code, out, _ := vk(t, in, "decode", "--lang", "en"); code != 0 || !strings.Contains(out, "No error in an API answer.") {
		t.Errorf("curl -i 200 ok: %d\n%s", code, out)
	}
	if code, _, errOut := vk(t, "HTTP/1.1 abc\r\n\r\n", "decode"); code != 2 || !strings.Contains(errOut, "status") {
		t.Errorf("bad status line: %d %s", code, errOut)
	}
}

func TestDecodeStatusFlag(t *testing.T) {
	page := "<html><body>Bad Gateway</body></html>"
	code, out, _ := vk(t, page, "decode", "--status", "502", "--json")
	var list []map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["code"] != 502.0 {
		t.Errorf("--status 502: %d\n%s", code, out)
	}
	// Without --status the page is still an HTTP failure, but of status 200.
	if _, out, _ := vk(t, page, "decode", "--json"); !strings.Contains(out, `"code": 200`) {
		t.Errorf("no --status: %s", out)
	}
	// --status overrides the status line.
	in := "HTTP/1.1 200 OK\r\n\r\n" + page
	if _, out, _ := vk(t, in, "decode", "--status", "503", "--json"); !strings.Contains(out, `"code": 503`) {
		t.Errorf("--status over a status line: %s", out)
	}
	if code, _, _ := vk(t, page, "decode", "--status", "42"); code != 2 {
		t.Errorf("--status 42: exit %d", code)
	}
}

func TestDecodeLoneAdsItem(t *testing.T) {
	in := `{"error_code":100,"error_desc":"One of the parameters specified was missing or invalid: campaign_id"}`
	code, out, errOut := vk(t, in, "decode", "--lang", "en")
	if code != 1 || !strings.Contains(out, "1 error in an ads.* item:") || !strings.Contains(out, "code 100, api_error_param") {
		t.Errorf("lone ads item: %d\n%s%s", code, out, errOut)
	}
}

func TestDecodeGrammar(t *testing.T) {
	tests := []struct{ file, lang, want string }{
		{"error_14_captcha.json", "en", "1 error in an API answer:"},
		{"execute_partial.json", "en", "2 errors in an API answer:"},
		{"success.json", "en", "No error in an API answer."},
		{"error_14_captcha.json", "ru", "1 ошибка в ответе API:"},
		{"execute_partial.json", "ru", "2 ошибки в ответе API:"},
		{"upload_docs.json", "en", "1 error in an upload server's answer:"},
	}
	for _, tc := range tests {
		_, out, _ := vk(t, "", "decode", "--lang", tc.lang, fixture(tc.file))
		if !strings.HasPrefix(out, tc.want) || strings.Contains(out, "(s)") || strings.Contains(out, "a api") {
			t.Errorf("%s --lang %s: want %q first\n%s", tc.file, tc.lang, tc.want, out)
		}
	}
	for n, want := range map[int]string{1: "ошибка", 2: "ошибки", 5: "ошибок", 11: "ошибок", 21: "ошибка", 22: "ошибки", 112: "ошибок"} {
		if got := errorsWord("ru", n); got != want {
			t.Errorf("errorsWord(ru, %d) = %s, want %s", n, got, want)
		}
	}
}

func TestDecodeLabelsRussian(t *testing.T) {
	_, out, _ := vk(t, "", "decode", "--lang", "ru", fixture("error_14_captcha.json"))
	for _, label := range []string{"категория:", "что делать:", "параметры запроса:", "код 14"} {
		if !strings.Contains(out, label) {
			t.Errorf("decode --lang ru lacks %q:\n%s", label, out)
		}
	}
	for _, label := range []string{"category:", "remedy:", "code 14"} {
		if strings.Contains(out, label) {
			t.Errorf("decode --lang ru has the English label %q:\n%s", label, out)
		}
	}
}

func TestDecodeTerminalHint(t *testing.T) {
	defer func(f func(io.Reader) bool) { stdinIsTerminal = f }(stdinIsTerminal)
	stdinIsTerminal = func(io.Reader) bool { return true }
	_, _, errOut := vk(t, `{"response":1}`, "decode", "--lang", "en")
	if !strings.Contains(errOut, "reading the answer from standard input") {
		t.Errorf("no hint on a terminal: %q", errOut)
	}
	stdinIsTerminal = func(io.Reader) bool { return false }
	if _, _, errOut := vk(t, `{"response":1}`, "decode"); errOut != "" {
		t.Errorf("a hint when input is piped: %q", errOut)
	}
	if isTerminal(strings.NewReader("")) {
		t.Error("a strings.Reader is not a terminal")
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := vk(t, "", "--version")
	if code != 0 || !strings.Contains(out, "module github.com/vkerr/vkerr") ||
		!strings.Contains(out, "VK API schema "+vkerr.SchemaVersion) || !strings.Contains(out, vkerr.SchemaCommit) {
		t.Errorf("--version: %d\n%s", code, out)
	}
}

func TestLangHelpDoesNotRepeatDefault(t *testing.T) {
	for _, c := range []string{"explain", "decode", "call"} {
		_, out, _ := vk(t, "", c, "--help")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "--lang") && (strings.Count(line, "default") > 1 || strings.Contains(line, `(default "`)) {
				t.Errorf("%s --help: %s", c, line)
			}
		}
	}
}

func TestExplainAllAligned(t *testing.T) {
	_, out, _ := vk(t, "", "explain", "--all", "--lang", "en")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != vkerr.NumCodes() {
		t.Fatalf("%d lines, want %d", len(lines), vkerr.NumCodes())
	}
	// The message column starts at the same place on every line.
	col := -1
	for _, l := range lines {
		f := strings.Fields(l)
		i := strings.Index(l, "  "+f[2]+"  ") + 2 + len(f[2])
		for i < len(l) && l[i] == ' ' {
			i++
		}
		if col == -1 {
			col = i
		}
		if i != col {
			t.Fatalf("message column at %d, not %d: %q", i, col, l)
		}
	}
}
