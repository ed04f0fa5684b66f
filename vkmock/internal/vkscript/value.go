package vkscript

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values are nil (null), bool, float64, string, *Array and *Object. Arrays
// and objects are references, as in JavaScript.

// Array is a VKScript array.
type Array struct{ elems []any }

// Object is a VKScript object; it keeps the order of its keys.
type Object struct {
	keys []string
	m    map[string]any
}

func newObject() *Object { return &Object{m: map[string]any{}} }

func (o *Object) get(k string) (any, bool) {
	v, ok := o.m[k]
	return v, ok
}

func (o *Object) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *Object) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	for i, x := range o.keys {
		if x == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case *Array:
		return "array"
	}
	return "object"
}

// decodeJSON turns an API answer into a value, keeping the order of object
// keys.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 512 {
		return nil, errors.New("too deep")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '[':
			a := &Array{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a.elems = append(a.elems, v)
			}
			_, err := dec.Token()
			return a, err
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			_, err := dec.Token()
			return o, err
		}
		return nil, errors.New("unexpected delimiter")
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	case string, bool, nil:
		return x, nil
	}
	return nil, errors.New("unexpected token")
}

// encoder writes a value as JSON, within a size limit.
type encoder struct {
	buf   []byte
	limit int
}

var errTooBig = errors.New("response size is too big")

func (e *encoder) encode(v any, depth int) error {
	if len(e.buf) > e.limit {
		return errTooBig
	}
	if depth > 256 {
		// Only a value that contains itself nests this deep.
		return errTooBig
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			e.buf = append(e.buf, "null"...)
		} else {
			e.buf = append(e.buf, formatNumber(x)...)
		}
	case string:
		e.buf = appendString(e.buf, x)
	case *Array:
		e.buf = append(e.buf, '[')
		for i, el := range x.elems {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.encode(el, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case *Object:
		e.buf = append(e.buf, '{')
		for i, k := range x.keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ':')
			if err := e.encode(x.m[k], depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	}
	if len(e.buf) > e.limit {
		return errTooBig
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// toString is the string form of a value in + and in API parameters.
func toString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return formatNumber(x), true
	case string:
		return x, true
	case *Array:
		parts := make([]string, len(x.elems))
		for i, el := range x.elems {
			switch el.(type) {
			case *Array, *Object:
				return "", false
			}
			parts[i], _ = toString(el)
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// toNumber converts numbers, booleans, null and numeric strings.
func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case float64:
		return x, true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(s, "nan") || strings.Contains(strings.ToLower(s), "inf") {
			return 0, false
		}
		return f, true
	}
	return 0, false
}
