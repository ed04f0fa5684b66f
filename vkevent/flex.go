package vkevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"sync"
)

// The tolerant decoder of the generated object types: each type's
// UnmarshalJSON calls decodeObject, which fills the struct field by field
// from a JSON object and never fails on a field (see the package doc).

// afterDecoder is implemented by types that fix themselves up from the
// fields they were decoded from (the legacy message shape).
type afterDecoder interface {
	afterDecode(fields map[string]json.RawMessage)
}

var fieldIndexCache sync.Map // reflect.Type -> map[string]int

func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := fieldIndexCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		if name, _, _ := bytesCut(tag, ','); name != "" && name != "-" {
			m[name] = i
		}
	}
	fieldIndexCache.Store(t, m)
	return m
}

func bytesCut(s string, sep byte) (string, string, bool) {
	for i := range len(s) {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

var errNotObject = errors.New("not a JSON object")

// decodeObject fills the struct *v from the JSON object b.
func decodeObject(b []byte, v any) error {
	if isNull(b) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return errNotObject
	}
	decodeFields(fields, v)
	return nil
}

// decodeFields fills the struct *v from the fields of a JSON object.
func decodeFields(fields map[string]json.RawMessage, v any) {
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	idx := fieldIndex(rv.Type())
	for k, raw := range fields {
		if i, ok := idx[k]; ok {
			setValue(raw, rv.Field(i))
		}
	}
	if a, ok := v.(afterDecoder); ok {
		a.afterDecode(fields)
	}
}

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// decodeValue decodes raw into *dst tolerantly; dst must be a pointer.
func decodeValue(raw json.RawMessage, dst any) {
	setValue(raw, reflect.ValueOf(dst).Elem())
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// setValue sets v from raw as well as it can; what does not fit leaves v
// as it was.
func setValue(raw json.RawMessage, v reflect.Value) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return
	}
	if v.Type() == rawMessageType {
		v.SetBytes(bytes.Clone(raw))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				v.SetString(s)
			}
			return
		}
		v.SetString(string(raw)) // a number, a boolean or an object where a string was due: keep its JSON text
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := flexInt(raw); ok && !v.OverflowInt(n) {
			v.SetInt(n)
		}
	case reflect.Float32, reflect.Float64:
		if f, ok := flexFloat(raw); ok {
			v.SetFloat(f)
		}
	case reflect.Bool:
		switch s := string(unquote(raw)); s {
		case "true", "1":
			v.SetBool(true)
		case "false", "0", "":
			v.SetBool(false)
		default:
			if f, ok := flexFloat(raw); ok {
				v.SetBool(f != 0)
			}
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		setValue(raw, p.Elem())
		if p.Elem().Kind() != reflect.Struct || raw[0] == '{' {
			v.Set(p)
		}
	case reflect.Struct:
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			_ = u.UnmarshalJSON(raw) // a non-object leaves the zero value
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			setValue(it, s.Index(i))
		}
		v.Set(s)
	default:
		_ = json.Unmarshal(raw, v.Addr().Interface())
	}
}

// unquote strips the quotes of a JSON string without decoding escapes
// (enough for numbers and booleans sent as strings).
func unquote(raw []byte) []byte {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return raw[1 : len(raw)-1]
	}
	return raw
}

func flexInt(raw []byte) (int64, bool) {
	s := string(unquote(raw))
	switch s {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

func flexFloat(raw []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(unquote(raw)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
