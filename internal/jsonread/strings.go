package jsonread

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The strings of the reader: a plain one is its bytes; one with escapes or
// bad UTF-8 is decoded as encoding/json decodes it.

// PlainString reads the string at the reader when it has no escape and is
// valid UTF-8 (then its bytes are its value), else leaves the reader
// where it was.
func (r *Reader) PlainString() ([]byte, bool) {
	start := r.i + 1
	ascii := true
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			s := r.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			r.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// UnescapedString reads the string at the reader with escapes or invalid UTF-8,
// decoded as encoding/json decodes it (a bad surrogate or bad UTF-8 is
// U+FFFD).
// A null is the empty string, as encoding/json leaves a string it decodes
// null into; any other value that is not a string is ErrSyntax.
func (r *Reader) UnescapedString() string {
	raw := r.Value()
	if r.err != nil {
		return ""
	}
	if len(raw) < 2 || raw[0] != '"' {
		if string(raw) != "null" {
			r.err = ErrSyntax
		}
		return ""
	}
	s := raw[1 : len(raw)-1]
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			n := bytes.IndexByte(s[i:], '\\')
			if n < 0 {
				n = len(s) - i
			}
			b = appendUTF8(b, s[i:i+n])
			i += n
			continue
		}
		i++ // skipString let only valid escapes through
		switch c := s[i]; c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			rr := hex4(s[i+1:])
			i += 5
			if utf16.IsSurrogate(rr) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(rr, hex4(s[i+2:])); dec != unicode.ReplacementChar {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				rr = unicode.ReplacementChar
			}
			b = utf8.AppendRune(b, rr)
			continue
		default: // " \\ /
			b = append(b, c)
		}
		i++
	}
	return string(b)
}

// appendUTF8 appends s with each byte of bad UTF-8 as U+FFFD.
func appendUTF8(b, s []byte) []byte {
	if utf8.Valid(s) {
		return append(b, s...)
	}
	for len(s) > 0 {
		rr, size := utf8.DecodeRune(s)
		b = utf8.AppendRune(b, rr)
		s = s[size:]
	}
	return b
}

// hex4 is the value of 4 hex digits that skipString checked.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
