package core

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"":              `""`,
		"plain":         `"plain"`,
		"a\"b\\c":       `"a\"b\\c"`,
		"\n\r\t\x01":    `"\n\r\t\u0001"`,
		"<a&b>":         `"\u003ca\u0026b\u003e"`,
		"\u2028\u2029":  `"\u2028\u2029"`,
		"bad\xffutf8":   `"bad\ufffdutf8"`,
		"Привет, мир":   `"Привет, мир"`,
		"tail\xe2\x82":  `"tail\ufffd\ufffd"`,
		"emoji 😀 x\x00": `"emoji 😀 x\u0000"`,
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
	if got := string(AppendString([]byte("x:"), "y")); got != `x:"y"` {
		t.Errorf("appends after %q: %s", "x:", got)
	}
}

// FuzzAppendString: the output is always one JSON string that decodes to
// what encoding/json's string of the input decodes to, and never holds a
// raw <, >, &, U+2028 or U+2029.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<>&", "\u2028", "\xff\xfe", "\x00\x1f", "Привет"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: not a JSON string: %v: %s", s, err, b)
		}
		// encoding/json replaces each invalid byte by U+FFFD, as
		// AppendString does.
		jb, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(jb, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q decodes to %q, want %q", s, got, want)
		}
		if strings.ContainsAny(string(b), "<>&\u2028\u2029") {
			t.Fatalf("%q: raw <, >, &, U+2028 or U+2029 in %s", s, b)
		}
	})
}
