package vkevent

import (
	"bytes"
	"encoding/json"
)

// The typed reads: each reads one value.

// str reads a string; a value of another kind keeps its JSON text, null
// is "".
func (r *reader) str() string {
	switch r.Peek() {
	case '"':
		if s, ok := r.PlainString(); ok {
			return string(s)
		}
		return r.UnescapedString()
	case 'n':
		r.Literal("null")
		return ""
	}
	return string(r.Value())
}

// int64 reads an integer (also in a string, a whole float, or a boolean as
// 0 or 1); what does not fit is 0.
func (r *reader) int64() int64 {
	n, _ := flexInt(r.Value())
	return n
}

// int is int64 for an int.
func (r *reader) int() int {
	n, ok := flexInt(r.Value())
	if !ok || int64(int(n)) != n {
		return 0
	}
	return int(n)
}

// float64 reads a number (also in a string); what does not fit is 0.
func (r *reader) float64() float64 {
	f, _ := flexFloat(r.Value())
	return f
}

// bool reads true, false, 1, 0 (also in strings) or a number (non-zero
// is true).
func (r *reader) bool() bool {
	raw := r.Value()
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
	v := r.Value()
	if v == nil || string(v) == "null" {
		return nil
	}
	return bytes.Clone(v)
}

// skip reads a value and drops it.
func (r *reader) skip() { r.Value() }

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
	r := newReader(b)
	var v T
	if r.Peek() != '{' {
		return errNotObject
	}
	P(&v).decodeFrom(&r)
	r.End()
	if r.Err() != nil {
		return errNotObject
	}
	*o = v
	return nil
}

// readPtr reads an object into a new T; another value is nil.
func readPtr[T any, P decoder[T]](r *reader) *T {
	if r.Peek() != '{' {
		r.skip()
		return nil
	}
	v := new(T)
	P(v).decodeFrom(r)
	return v
}

// readStruct reads an object into a T; another value is the zero T.
func readStruct[T any, P decoder[T]](r *reader) (v T) {
	if r.Peek() != '{' {
		r.skip()
		return v
	}
	P(&v).decodeFrom(r)
	return v
}

// readSlice reads an array, each item with item; another value is nil,
// and [] an empty slice.
func readSlice[S ~[]E, E any](r *reader, item func(*reader) E) S {
	if r.Peek() != '[' {
		r.skip()
		return nil
	}
	s := S{}
	for first := true; r.NextItem(&first); {
		s = append(s, item(r))
	}
	return s
}
