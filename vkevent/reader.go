package vkevent

import "errors"

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
