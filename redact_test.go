package vkerr

import (
	"strings"
	"testing"
)

func TestRedactStringForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"access_token: abc123", "access_token: " + Redacted},
		{`access_token="abc123"`, `access_token="` + Redacted + `"`},
		{"client_secret = abc123 rest", "client_secret = " + Redacted + " rest"},
		{`{\"access_token\":\"abc123\"}`, `{\"access_token\":\"` + Redacted + `\"}`},
		{`{"captcha_key":48291}`, `{"captcha_key":"` + Redacted + `"}`},
		{`{"\u0070assword":"x1"}`, `{"password":"` + Redacted + `"}`},
		{`[{"key":"method","value":"storage.get"},{"key":"access_token","value":"abc"}]`, `[{"key":"method","value":"storage.get"},{"key":"access_token","value":"` + Redacted + `"}]`},
		{`[{"key":"oauth"}]`, `[{"key":"oauth"}]`},
		{"x%3Fcode%3Dabc%26y", "x%3Fcode%3D" + Redacted},
		{"https://api.vk.com/captcha.php?sid=123&s=1", "https://api.vk.com/captcha.php?sid=123&s=1"},
		{"https://vk.com/?sid=123&s=1", "https://vk.com/?sid=" + Redacted + "&s=1"},
		{"captcha_sid=123 error_code: 5", "captcha_sid=123 error_code: 5"},
		{"old_password=a&new_password=b&rhash=c&_sig=d", "old_password=" + Redacted + "&new_password=" + Redacted + "&rhash=" + Redacted + "&_sig=" + Redacted},
		{"vk_access_token=abc", "vk_access_token=" + Redacted},
		{"foo=access_token=abc", "foo=access_token=" + Redacted},
		// A key's shape: 64 or more hex digits, but not a long number,
		// which JSON may hold bare.
		{"key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!", "key " + Redacted + "!"},
		// An escaped key whose string ends at once holds no value: the
		// quote after it closes the enclosing string (found by the fuzzer).
		{`{"a":"x\"client_secret\":"}`, `{"a":"x\"client_secret\":"}`},
		// A bare number after a key escaped into a string becomes an
		// escaped string, so the enclosing string stays whole.
		{`{"":"x\"password\":0"}`, `{"":"x\"password\":\"` + Redacted + `\""}`},
		// An escaped quoted value that is never closed ends where the
		// enclosing string ends, so that string stays whole (fuzzer).
		{`{"":"x\"password\":\"0 1"}`, `{"":"x\"password\":\"` + Redacted + `"}`},
		// A value cut short is still masked to the end.
		{`{"password":"my pass wo`, `{"password":"` + Redacted},
		{`{"n":` + strings.Repeat("7", 70) + `,"f":1` + strings.Repeat("0", 64) + `e5}`, `{"n":` + strings.Repeat("7", 70) + `,"f":1` + strings.Repeat("0", 64) + `e5}`},
	}
	for _, tc := range tests {
		if got := RedactString(tc.in); got != tc.want {
			t.Errorf("RedactString(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if got := RedactString(tc.want); got != tc.want {
			t.Errorf("RedactString is not idempotent on %q: %q", tc.want, got)
		}
	}
}

func TestIsSecretParamOf(t *testing.T) {
	tests := []struct {
		method, name string
		want         bool
	}{
		{"execute", "code", false},
		{"database.getCountries", "code", false},
		{"appWidgets.update", "code", false},
		{"", "code", true}, // OAuth's code, or unknown: redact when in doubt
		{"auth.exchange", "code", true},
		{"storage.get", "key", false},
		{"storage.set", "key", false},
		{"users.get", "key", true},
		{"", "key", true},
		{"storage.get", "access_token", true},
		{"photos.save", "hash", true},
		{"groups.addCallbackServer", "secret_key", true},
		{"account.changePassword", "restore_sid", true},
		{"users.get", "user_ids", false},
		{"", "captcha_sid", false},
	}
	for _, tc := range tests {
		if got := IsSecretParamOf(tc.method, tc.name); got != tc.want {
			t.Errorf("IsSecretParamOf(%q, %q) = %v, want %v", tc.method, tc.name, got, tc.want)
		}
	}
	p := RequestParams{{Key: "method", Value: "storage.get"}, {Key: "key", Value: "counter"}, {Key: "access_token", Value: "abc"}}
	if got, want := p.String(), "method=storage.get key=counter access_token="+Redacted; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	b, err := p.MarshalJSON()
	if err != nil || !strings.Contains(string(b), `"counter"`) || strings.Contains(string(b), `"abc"`) {
		t.Errorf("MarshalJSON() = %s, %v", b, err)
	}
	p[0].Value = "users.get"
	if strings.Contains(p.String(), "counter") {
		t.Errorf("the key of users.get shown: %s", p.String())
	}
}

// TestPublicParamsAreInTheSchema: every exception of publicIn is a parameter
// the schema lists for that method (execute's code excepted: the schema
// lists no parameters for execute), so no rule rests on a guess.
func TestPublicParamsAreInTheSchema(t *testing.T) {
	if len(schemaParams) < 500 {
		t.Fatalf("schemaParams has %d methods", len(schemaParams))
	}
	for name, methods := range publicIn {
		if !secretParams[name] {
			t.Errorf("publicIn names %q, which is not a secret name", name)
		}
		for m := range methods {
			if m == "execute" && name == "code" {
				continue
			}
			if !SchemaHasParam(m, name) {
				t.Errorf("publicIn: the schema lists no parameter %q for %s", name, m)
			}
		}
	}
	if !SchemaHasParam("groups.addCallbackServer", "secret_key") || SchemaHasParam("users.get", "secret_key") {
		t.Error("SchemaHasParam does not read the index")
	}
}

// TestSnippetRedactsBeforeCut puts a secret across the 200-byte cut at
// every offset: no 8-byte piece of it may remain.
func TestSnippetRedactsBeforeCut(t *testing.T) {
	t.Parallel() // CPU under -race: beside the other one
	secret := "Zq8pL2mN4xR7tV9wK3yB"
	for _, form := range []string{"access_token=", "password: ", `"secret":"`} {
		for off := 150; off <= 210; off++ {
			body := strings.Repeat("a", off-len(form)) + form + secret + `" ` + strings.Repeat("b", 300)
			s := RedactedSnippet([]byte(body))
			if len(s) > snippetLen+len("…") {
				t.Fatalf("snippet of %d bytes", len(s))
			}
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(s, secret[i:i+8]) {
					t.Fatalf("%s at %d: snippet shows %q: %q", form, off, secret[i:i+8], s)
				}
			}
			if strings.Contains(s, "[REDA") && !strings.Contains(s, Redacted) {
				t.Errorf("%s at %d: the marker is cut: %q", form, off, s)
			}
		}
	}
}

func TestShorten(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 hex digits: a token
	for n := 1; n < 80; n++ {
		s := RedactShort("x "+secret+" y", n)
		if strings.Contains(s, secret[:8]) || strings.Contains(s, secret[20:28]) {
			t.Fatalf("RedactShort(…, %d) = %q shows a piece of the token", n, s)
		}
		if len(s) > n+len("…") {
			t.Fatalf("RedactShort(…, %d) = %q is longer", n, s)
		}
	}
	if got := RedactShort("short", 10); got != "short" {
		t.Errorf("RedactShort(short) = %q", got)
	}
	if got := RedactShort("ёжик", 3); got != "ё…" {
		t.Errorf("RedactShort cuts inside a rune: %q", got)
	}
}
