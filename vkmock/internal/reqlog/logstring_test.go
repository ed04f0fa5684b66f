package reqlog

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// A value cut in the middle of a secret keeps no piece of it that
// redaction would no longer recognise.
func TestLogStringCutsNoSecretInHalf(t *testing.T) {
	const limit = 64
	secrets := []struct{ before, secret, after string }{
		{"", "vk1.a." + strings.Repeat("AbC_9-", 20), " tail"},
		{"", strings.Repeat("0123456789abcdef", 6), " tail"},
		{"x&access_token=", strings.Repeat("SeCrEt", 20), "&y=1"},
		{`{"captcha_key":"`, strings.Repeat("s3cr3t ", 20), `"}`},
		{`{"success_token":"`, `ab\"` + strings.Repeat("s3cr3t\\n", 20), `"}`},
		{"Authorization: Bearer ", strings.Repeat("Zz9", 40), "\n"},
	}
	for _, sc := range secrets {
		for pad := 0; pad < limit+8; pad++ {
			v := strings.Repeat("é", pad/2) + strings.Repeat(" ", pad%2) + sc.before + sc.secret + sc.after + strings.Repeat("x", 200)
			got, n := LogString(v, limit)
			if n != len(v) || len(got) > limit {
				t.Fatalf("pad %d: %q (len %d)", pad, got, n)
			}
			// No 8 bytes of the secret survive.
			for i := 0; i+8 <= len(sc.secret); i++ {
				if piece := sc.secret[i : i+8]; strings.Contains(got, piece) {
					t.Fatalf("pad %d: %q keeps %q of the secret", pad, got, piece)
				}
			}
		}
	}
	if got, n := LogString("short", limit); got != "short" || n != 0 {
		t.Fatalf("short value: %q %d", got, n)
	}
}

// The shortcut that skips redaction agrees with vkerr.RedactString on
// every shape of secret it knows.
func TestRedactShortcutAgrees(t *testing.T) {
	for _, v := range []string{
		"plain", "12345", "a b c", "key=1", "x&sig=abc", "ACCESS_TOKEN%3Dabc", `{"captcha_key":"x"}`, "Bearer abc.def",
		"BEARER   x", "vk1.a.abc", strings.Repeat("0123456789abcdef", 4), strings.Repeat("0123456789abcdef", 3) + " 1",
	} {
		if got, want := redact(v), vkerr.RedactString(v); got != want {
			t.Errorf("redact(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzLogString: what the request log keeps of any bytes is valid UTF-8,
// within the limit, the whole redacted value when it fits, and never a
// token of the VK format that it was given.
func FuzzLogString(f *testing.F) {
	f.Add("plain value", 16)
	f.Add("x&access_token=vk1.a.abcdefghijklmnopqrstuvwxyz0123456789", 20)
	f.Add(`{"captcha_key":"secret \"quoted\" value"}`, 24)
	f.Add(strings.Repeat("é", 100)+strings.Repeat("0123456789abcdef", 8), 210)
	f.Add("\xff\xfe broken", 3)
	f.Fuzz(func(t *testing.T, v string, limit int) {
		limit = 8 + abs(limit)%4096
		got, n := LogString(v, limit)
		if !utf8.ValidString(got) || len(got) > max(limit, len(vkerr.RedactString(strings.ToValidUTF8(v, "\uFFFD")))) {
			t.Fatalf("LogString(%q, %d) = %q", v, limit, got)
		}
		if len(v) <= limit {
			if n != 0 || got != vkerr.RedactString(strings.ToValidUTF8(v, "\uFFFD")) {
				t.Fatalf("short value %q: %q, %d", v, got, n)
			}
			return
		}
		if n != len(v) || len(got) > limit {
			t.Fatalf("long value: %d bytes kept, len %d", len(got), n)
		}
		if vkToken.MatchString(got) {
			t.Fatalf("a token survives: %q", got)
		}
	})
}

// vkToken is the start of a VK token with something of the token after it.
var vkToken = regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_-]`)

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}
