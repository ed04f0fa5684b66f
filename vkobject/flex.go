package vkobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// The flexible scalars and lists of the generated types. Each accepts
// every form VK is known to send for its kind and never returns an error,
// so that one drifted field does not fail the decoding of the rest.

// Int is an integer that decodes from a JSON number, a string holding one
// ("123"), a boolean (true is 1) or null (0). Anything else leaves it 0.
// It encodes as a JSON number.
type Int int64

// UnmarshalJSON decodes n tolerantly; it never fails.
func (n *Int) UnmarshalJSON(b []byte) error {
	if v, ok := parseInt(b); ok {
		*n = Int(v)
	}
	return nil
}

// Float is a number that decodes from a JSON number, a string holding one
// or a boolean; anything else leaves it 0. It encodes as a JSON number.
type Float float64

// UnmarshalJSON decodes f tolerantly; it never fails.
func (f *Float) UnmarshalJSON(b []byte) error {
	if v, ok := parseFloat(b); ok {
		*f = Float(v)
	}
	return nil
}

// Bool is a boolean that decodes from true/false, 0/1 (VK's usual form),
// any number (non-zero is true) and those forms inside a string ("1",
// "true"); anything else leaves it false. It encodes as true or false.
type Bool bool

// UnmarshalJSON decodes v tolerantly; it never fails.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s := unquote(b)
	switch string(s) {
	case "true", "1":
		*v = true
	case "false", "0", "", "null":
		*v = false
	default:
		if f, ok := parseFloat(b); ok {
			*v = f != 0
		}
	}
	return nil
}

// String is a string that decodes from a JSON string, and from a number
// or a boolean (their JSON text: VK sends a Long Poll ts as "123" or as
// 123); an object or array where a string was due is kept as its JSON
// text too. It encodes as a JSON string.
type String string

// UnmarshalJSON decodes s tolerantly; it never fails on well-formed JSON.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] != '"':
		*s = String(b)
		return nil
	case bytes.IndexByte(b, '\\') < 0 && len(b) >= 2:
		*s = String(b[1 : len(b)-1]) // no escapes: the bytes are the string
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = String(v)
	return nil
}

// List is a JSON array that also accepts what VK sends in its place: null
// or {} (an empty list: PHP's empty array), an object whose keys are all
// indexes ({"0":a,"1":b}, in key order) and a lone object (a list of one).
// An element that does not fit its type is left zero. The zero List is
// empty; it encodes as a JSON array (null when nil).
type List[T any] []T

// UnmarshalJSON decodes l tolerantly; it never fails on well-formed JSON.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var s []T
		if err := Unmarshal(b, &s); err != nil {
			return err
		}
		*l = s
	case '{':
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			return err
		}
		*l = List[T]{}
		if len(fields) == 0 {
			return nil
		}
		if s, ok := indexed[T](fields); ok {
			*l = s
			return nil
		}
		var one T
		if err := Unmarshal(b, &one); err != nil {
			return err
		}
		*l = List[T]{one}
	default:
		*l = nil // null, or a scalar where a list was due
	}
	return nil
}

// indexed decodes {"0":a,"1":b,...} as a list, when every key is an index
// below the number of keys.
func indexed[T any](fields map[string]json.RawMessage) (List[T], bool) {
	raws := make([]json.RawMessage, len(fields))
	for k, raw := range fields {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(raws) || raws[i] != nil {
			return nil, false
		}
		raws[i] = raw
	}
	s := make(List[T], len(raws))
	for i, raw := range raws {
		if err := Unmarshal(raw, &s[i]); err != nil {
			return nil, false
		}
	}
	return s, true
}

// Unmarshal decodes b into v like json.Unmarshal, but forgives drift: a
// value of the wrong JSON type (an array where the schema says object, a
// string where it says array...) leaves its field zero and the rest is
// still decoded. Only malformed JSON is an error.
func Unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if _, drift := errors.AsType[*json.UnmarshalTypeError](err); drift {
		return nil
	}
	return err
}

func unquote(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return bytes.TrimSpace(b[1 : len(b)-1])
	}
	return b
}

func parseInt(b []byte) (int64, bool) {
	s := unquote(b)
	switch string(s) {
	case "true":
		return 1, true
	case "false", "null", "":
		return 0, true
	}
	if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

func parseFloat(b []byte) (float64, bool) {
	s := unquote(b)
	switch string(s) {
	case "true":
		return 1, true
	case "false", "null", "":
		return 0, true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
