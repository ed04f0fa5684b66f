// Package jsonread is a single-pass validating JSON reader: it checks
// encoding/json's grammar, escapes and 10 000-level nesting limit as it
// reads, so a body is scanned once, not once per nesting level. vkevent's
// generated decoders and envelope, and userlongpoll's answers, read with it.
package jsonread

import "errors"

// Reader reads one JSON body in one pass, validating as it goes. The first syntax error sticks in err; from then on every read
// returns a zero value, and the caller turns err into its failure.
//
// The zero Reader reads an empty input (every read fails); New makes one
// on a body. A Reader keeps b: the slices it returns are sub-slices of b.
type Reader struct {
	b     []byte
	i     int
	depth int
	err   error
	key   []byte // the member name nextKey read, unescaped; valid until the next key
}

// MaxDepth is encoding/json's nesting limit.
const MaxDepth = 10000

// ErrSyntax is the error of a body that is not valid JSON.
var ErrSyntax = errors.New("jsonread: malformed JSON")

// New returns a Reader at the start of b.
func New(b []byte) Reader { return Reader{b: b} }

// Err is the first syntax error met, or nil.
func (r *Reader) Err() error { return r.err }

// Key is the member name NextKey read, unescaped; valid until the next key.
func (r *Reader) Key() []byte { return r.key }

// Pos is the offset of the next byte to read.
func (r *Reader) Pos() int { return r.i }

// Since returns the input from offset start to the reader's position.
func (r *Reader) Since(start int) []byte { return r.b[start:r.i] }

// Fail records a syntax error and moves to the end of the input.
func (r *Reader) Fail() {
	if r.err == nil {
		r.err = ErrSyntax
	}
	r.i = len(r.b)
}

// Peek skips whitespace and returns the next byte, 0 at the end (or at a
// NUL byte, which no JSON value starts with).
func (r *Reader) Peek() byte {
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

// Expect consumes c after whitespace.
func (r *Reader) Expect(c byte) bool {
	if r.Peek() != c {
		r.Fail()
		return false
	}
	r.i++
	return true
}

// End checks that only whitespace is left.
func (r *Reader) End() {
	r.Peek()
	if r.i < len(r.b) {
		r.Fail()
	}
}

func (r *Reader) enter() bool {
	r.depth++
	if r.depth > MaxDepth {
		r.Fail()
		return false
	}
	return true
}

// NextKey reads the next member name of the object at the reader, and its
// colon: call it with first set to true at the '{', and after each member
// read its value. It returns false at the closing '}' (consumed) or on an
// error.
func (r *Reader) NextKey(first *bool) bool {
	if !r.next(first, '{', '}') {
		return false
	}
	if r.Peek() != '"' {
		r.Fail()
		return false
	}
	if s, ok := r.PlainString(); ok {
		r.key = s
	} else {
		r.key = []byte(r.UnescapedString())
	}
	return r.Expect(':')
}

// NextItem is NextKey for the items of an array.
func (r *Reader) NextItem(first *bool) bool {
	return r.next(first, '[', ']')
}

// next moves to the next member or item of the object or array at the
// reader: past its open byte when first is set (and clears first), past a
// comma otherwise. It returns false at the close byte (consumed) or on an
// error.
func (r *Reader) next(first *bool, open, close byte) bool {
	if r.err != nil {
		return false
	}
	if *first {
		*first = false
		if !r.Expect(open) || !r.enter() {
			return false
		}
		if r.Peek() != close {
			return true
		}
	} else if c := r.Peek(); c == ',' {
		r.i++
		return true
	} else if c != close {
		r.Fail()
		return false
	}
	r.i++
	r.depth--
	return false
}

// Value reads one value, validating it, and returns its bytes.
func (r *Reader) Value() []byte {
	c := r.Peek()
	start := r.i
	switch {
	case c == '"':
		r.skipString()
	case c == '{':
		for first := true; r.NextKey(&first); {
			r.Value()
		}
	case c == '[':
		for first := true; r.NextItem(&first); {
			r.Value()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		r.skipNumber()
	case c == 't':
		r.Literal("true")
	case c == 'f':
		r.Literal("false")
	case c == 'n':
		r.Literal("null")
	default:
		r.Fail()
	}
	if r.err != nil {
		return nil
	}
	return r.b[start:r.i]
}

// Literal consumes the literal s (true, false, null) or fails.
func (r *Reader) Literal(s string) {
	if len(r.b)-r.i < len(s) || string(r.b[r.i:r.i+len(s)]) != s {
		r.Fail()
		return
	}
	r.i += len(s)
}

func (r *Reader) skipString() {
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return
		case c < 0x20:
			r.Fail()
			return
		case c == '\\':
			j++
			if j >= len(r.b) {
				r.Fail()
				return
			}
			switch r.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.b) || !isHex(r.b[j+1]) || !isHex(r.b[j+2]) || !isHex(r.b[j+3]) || !isHex(r.b[j+4]) {
					r.Fail()
					return
				}
				j += 4
			default:
				r.Fail()
				return
			}
		}
	}
	r.Fail()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (r *Reader) digits() int {
	n := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
		n++
	}
	return n
}

// skipNumber reads a number of JSON's grammar.
func (r *Reader) skipNumber() {
	if r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.digits() == 0:
		r.Fail()
		return
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			r.Fail()
			return
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			r.Fail()
		}
	}
}
