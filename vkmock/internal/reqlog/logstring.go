package reqlog

import (
	"strings"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// LogString is what the request log keeps of a key or value: valid UTF-8,
// redacted, at most limit bytes (then with the length of v), and a copy
// that does not keep the request's body alive.
//
// A long value is cut before it is redacted, since redacting megabytes on
// every request costs seconds. The cut must leave no piece of a secret
// that redaction no longer recognises: the patterns with a prefix
// (vk1.a., key=, bearer) still match a cut secret, a run of hex digits at
// the cut (a legacy key needs 64 to be recognised) is dropped, and an open
// JSON string is closed so that "captcha_key":"... matches.
func LogString(v string, limit int) (string, int) {
	s, n := LogView(v, limit)
	return strings.Clone(s), n
}

// LogView is LogString without the copy: the result may share v's bytes.
func LogView(v string, limit int) (string, int) {
	if len(v) <= limit {
		return redact(strings.ToValidUTF8(v, "\uFFFD")), 0
	}
	i := limit
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(v[i]); j++ {
		i-- // do not split a character
	}
	cut := v[:i]
	if h := strings.TrimRightFunc(cut, isHexDigit); len(h) == 0 || !isWordChar(h[len(h)-1]) {
		cut = h // a hex run from a word boundary: maybe a legacy key
	}
	if t := strings.TrimRight(cut, `\`); (len(cut)-len(t))%2 == 1 {
		cut = cut[:len(cut)-1] // a lone backslash would escape the quote
	}
	red := vkerr.RedactString(strings.ToValidUTF8(cut, "\uFFFD") + `"`)
	red = strings.TrimSuffix(red, `"`)
	if len(red) > limit {
		red = strings.ToValidUTF8(red[:limit], "")
	}
	return red, len(v)
}

// redact is vkerr.RedactString, skipped for the many values that hold
// nothing its patterns match: no "=" (key=value), no quote (JSON), no ":"
// (name: value), no white space or ">" (an unlabelled "name value"), no
// "bearer", no "vk1.a." and no run of 64 hex digits of either case.
// FuzzLogString checks that the two agree.
func redact(s string) string {
	if mayHoldSecret(s) {
		return vkerr.RedactString(s)
	}
	return s
}

func mayHoldSecret(s string) bool {
	hexRun := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=' || c == '"' || c == '%' || c == ':' || c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			// name=, JSON, escapes, name: and an unlabelled "name value"
			// (after white space or an HTML tag): RedactString decides.
			return true
		case c == 'b' || c == 'B':
			if i+6 <= len(s) && strings.EqualFold(s[i:i+6], "bearer") {
				return true
			}
		case c == 'v':
			if strings.HasPrefix(s[i:], "vk1.a.") {
				return true
			}
		}
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			if hexRun++; hexRun >= 64 {
				return true
			}
		} else {
			hexRun = 0
		}
	}
	return false
}

func isHexDigit(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' }

func isWordChar(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}
