package vkevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// reader is the single-pass JSON reader behind the generated decoders and
// the envelope's: it validates as it reads (the grammar and the nesting
// limit of encoding/json), so a body is scanned once, not once per nesting
// level. The first syntax error sticks in err; from then on every read
// returns a zero value, and the caller turns err into its failure.
//
// Its tolerance is the package's: each typed read decodes one value as
// well as it can (a number in a string, a string where a number was due)
// and yields the zero value when the value does not fit.
type reader struct {
	b     []byte
	i     int
	depth int
	err   error
	key   []byte // the member name nextKey read, unescaped; valid until the next key
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

var errSyntax = errors.New("vkevent: malformed JSON")

func (r *reader) fail() {
	if r.err == nil {
		r.err = errSyntax
	}
	r.i = len(r.b)
}

// peek skips whitespace and returns the next byte, 0 at the end (or at a
// NUL byte, which no JSON value starts with).
func (r *reader) peek() byte {
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// expect consumes c after whitespace.
func (r *reader) expect(c byte) bool {
	if r.peek() != c {
		r.fail()
		return false
	}
	r.i++
	return true
}

// end checks that only whitespace is left.
func (r *reader) end() {
	r.peek()
	if r.i < len(r.b) {
		r.fail()
	}
}

func (r *reader) enter() bool {
	r.depth++
	if r.depth > maxDepth {
		r.fail()
		return false
	}
	return true
}

// nextKey reads the next member name of the object at the reader, and its
// colon: call it with first set to true at the '{', and after each member
// read its value. It returns false at the closing '}' (consumed) or on an
// error.
func (r *reader) nextKey(first *bool) bool {
	if r.err != nil {
		return false
	}
	if *first {
		*first = false
		if !r.expect('{') || !r.enter() {
			return false
		}
		if r.peek() == '}' {
			r.i++
			r.depth--
			return false
		}
	} else {
		switch r.peek() {
		case '}':
			r.i++
			r.depth--
			return false
		case ',':
			r.i++
		default:
			r.fail()
			return false
		}
	}
	if r.peek() != '"' {
		r.fail()
		return false
	}
	if s, ok := r.plainString(); ok {
		r.key = s
	} else {
		r.key = []byte(r.slowString())
	}
	return r.expect(':')
}

// nextItem is nextKey for the items of an array.
func (r *reader) nextItem(first *bool) bool {
	if r.err != nil {
		return false
	}
	if *first {
		*first = false
		if !r.expect('[') || !r.enter() {
			return false
		}
		if r.peek() == ']' {
			r.i++
			r.depth--
			return false
		}
		return true
	}
	switch r.peek() {
	case ']':
		r.i++
		r.depth--
		return false
	case ',':
		r.i++
		return true
	}
	r.fail()
	return false
}

// plainString reads the string at the reader when it has no escape and is
// valid UTF-8 (then its bytes are its value), else leaves the reader
// where it was.
func (r *reader) plainString() ([]byte, bool) {
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

// slowString reads the string at the reader with escapes or invalid UTF-8,
// decoded as encoding/json decodes it (a bad surrogate or bad UTF-8 is
// U+FFFD).
func (r *reader) slowString() string {
	raw := r.value()
	if r.err != nil {
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

// value reads one value, validating it, and returns its bytes.
func (r *reader) value() []byte {
	c := r.peek()
	start := r.i
	switch {
	case c == '"':
		r.skipString()
	case c == '{':
		for first := true; r.nextKey(&first); {
			r.value()
		}
	case c == '[':
		for first := true; r.nextItem(&first); {
			r.value()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		r.skipNumber()
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	default:
		r.fail()
	}
	if r.err != nil {
		return nil
	}
	return r.b[start:r.i]
}

func (r *reader) literal(s string) {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		r.fail()
		return
	}
	r.i += len(s)
}

func (r *reader) skipString() {
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return
		case c < 0x20:
			r.fail()
			return
		case c == '\\':
			j++
			if j >= len(r.b) {
				r.fail()
				return
			}
			switch r.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.b) || !isHex(r.b[j+1]) || !isHex(r.b[j+2]) || !isHex(r.b[j+3]) || !isHex(r.b[j+4]) {
					r.fail()
					return
				}
				j += 4
			default:
				r.fail()
				return
			}
		}
	}
	r.fail()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (r *reader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// skipNumber reads a number of JSON's grammar.
func (r *reader) skipNumber() {
	if r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.digits() == 0:
		r.fail()
		return
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			r.fail()
			return
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			r.fail()
		}
	}
}

// The typed reads: each reads one value.

// str reads a string; a value of another kind keeps its JSON text, null
// is "".
func (r *reader) str() string {
	switch r.peek() {
	case '"':
		if s, ok := r.plainString(); ok {
			return string(s)
		}
		return r.slowString()
	case 'n':
		r.literal("null")
		return ""
	}
	return string(r.value())
}

// int64 reads an integer (also in a string, a whole float, or a boolean as
// 0 or 1); what does not fit is 0.
func (r *reader) int64() int64 {
	n, _ := flexInt(r.value())
	return n
}

// int is int64 for an int.
func (r *reader) int() int {
	n, ok := flexInt(r.value())
	if !ok || int64(int(n)) != n {
		return 0
	}
	return int(n)
}

// float64 reads a number (also in a string); what does not fit is 0.
func (r *reader) float64() float64 {
	f, _ := flexFloat(r.value())
	return f
}

// bool reads true, false, 1, 0 (also in strings) or a number (non-zero
// is true).
func (r *reader) bool() bool {
	raw := r.value()
	switch string(unquote(raw)) {
	case "true", "1":
		return true
	case "false", "0", "":
		return false
	}
	f, ok := flexFloat(raw)
	return ok && f != 0
}

// raw reads any value as a copy of its JSON; null is nil.
func (r *reader) raw() json.RawMessage {
	v := r.value()
	if v == nil || string(v) == "null" {
		return nil
	}
	return bytes.Clone(v)
}

// skip reads a value and drops it.
func (r *reader) skip() { r.value() }

// decoder is a generated object type: decodeFrom reads a JSON object into
// its zero value.
type decoder[T any] interface {
	*T
	decodeFrom(r *reader)
	UnmarshalJSON(b []byte) error
}

// decodeObject decodes the JSON object b into *o: null leaves *o as it
// was, anything but an object is an error (and leaves *o too).
func decodeObject[T any, P decoder[T]](b []byte, o P) error {
	if isNull(b) {
		return nil
	}
	r := reader{b: b}
	var v T
	if r.peek() != '{' {
		return errNotObject
	}
	P(&v).decodeFrom(&r)
	r.end()
	if r.err != nil {
		return errNotObject
	}
	*o = v
	return nil
}

// readPtr reads an object into a new T; another value is nil.
func readPtr[T any, P decoder[T]](r *reader) *T {
	if r.peek() != '{' {
		r.skip()
		return nil
	}
	v := new(T)
	P(v).decodeFrom(r)
	return v
}

// readStruct reads an object into a T; another value is the zero T.
func readStruct[T any, P decoder[T]](r *reader) (v T) {
	if r.peek() != '{' {
		r.skip()
		return v
	}
	P(&v).decodeFrom(r)
	return v
}

// readSlice reads an array, each item with item; another value is nil,
// and [] an empty slice.
func readSlice[S ~[]E, E any](r *reader, item func(*reader) E) S {
	if r.peek() != '[' {
		r.skip()
		return nil
	}
	s := S{}
	for first := true; r.nextItem(&first); {
		s = append(s, item(r))
	}
	return s
}
