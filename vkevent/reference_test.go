package vkevent

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sync"
)

// The reference decoder: the reflection-based, map-based decoder the
// package had before the generated single-pass decoders, on encoding/json.
// FuzzFastDecoderAgrees checks that the generated decoders, the envelope's
// and DecodeLongPoll's fast path give what it gives, on any input.

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

// decodeObject fills the struct *v from the JSON object b.
func refDecodeObject(b []byte, v any) error {
	if isNull(b) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return errNotObject
	}
	refDecodeFields(fields, v)
	return nil
}

// decodeFields fills the struct *v from the fields of a JSON object.
func refDecodeFields(fields map[string]json.RawMessage, v any) {
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	idx := fieldIndex(rv.Type())
	for k, raw := range fields {
		if i, ok := idx[k]; ok {
			refSetValue(raw, rv.Field(i))
		}
	}
	if a, ok := v.(afterDecoder); ok {
		a.afterDecode(fields)
	}
}

// decodeValue decodes raw into *dst tolerantly; dst must be a pointer.
func refDecodeValue(raw json.RawMessage, dst any) {
	refSetValue(raw, reflect.ValueOf(dst).Elem())
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// setValue sets v from raw as well as it can; what does not fit leaves v
// as it was.
func refSetValue(raw json.RawMessage, v reflect.Value) {
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
		refSetValue(raw, p.Elem())
		if p.Elem().Kind() != reflect.Struct || raw[0] == '{' {
			v.Set(p)
		}
	case reflect.Struct:
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			_ = refUnmarshal(raw, u) // a non-object leaves the zero value
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			refSetValue(it, s.Index(i))
		}
		v.Set(s)
	default:
		_ = json.Unmarshal(raw, v.Addr().Interface())
	}
}

// refUnmarshal decodes a generated struct with the reference decoder.
func refUnmarshal(raw []byte, u json.Unmarshaler) error { return refDecodeObject(raw, u) }

func (o *MessageObject) afterDecode(fields map[string]json.RawMessage) {
	if _, ok := fields["message"]; ok {
		return
	}
	m := new(Message)
	refDecodeFields(fields, m)
	o.Message = m
}

func (m *Message) afterDecode(fields map[string]json.RawMessage) {
	if m.Text == "" {
		refDecodeValue(fields["body"], &m.Text)
	}
	var uid int64
	refDecodeValue(fields["user_id"], &uid)
	if m.FromID == 0 {
		m.FromID = uid
	}
	if m.PeerID == 0 {
		m.PeerID = uid
	}
}

// refEventUnmarshal is the reference envelope decoder.
func refEventUnmarshal(e *Event, b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errEventNull
	}
	*e = Event{}
	for k, v := range m {
		switch k {
		case "type":
			var s string
			if json.Unmarshal(v, &s) == nil {
				e.Type = Type(s)
			}
		case "event_id":
			refDecodeValue(v, &e.EventID)
		case "group_id":
			refDecodeValue(v, &e.GroupID)
		case "v":
			refDecodeValue(v, &e.V)
		case "secret":
			refDecodeValue(v, &e.Secret)
		case "object":
			if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				e.Object = slices.Clone(v)
			}
		default:
			if e.Extra == nil {
				e.Extra = map[string]json.RawMessage{}
			}
			e.Extra[k] = slices.Clone(v)
		}
	}
	return nil
}
