package vkevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
)

// Type is an event type ("message_new", "wall_post_new"...); the constants
// Type* list the schema's.
//
// (Its definition is generated from callback_type; see objects_gen.go.)

// Event is one community event: the envelope of a Bots Long Poll update or
// of a Callback body.
type Event struct {
	Type    Type   // "message_new"...; may be one this package does not know
	EventID string // unique per event: a 40-hex string; resends carry the same
	GroupID int64  // the community
	V       string // the API version of Object; "" when absent
	// Object is the event's object as it arrived, unknown fields included.
	Object json.RawMessage
	// Secret is the Callback API secret the body carried. It is a
	// credential: MarshalJSON, String and LogValue leave it out.
	Secret string
	// Extra holds the envelope fields this package does not know.
	Extra map[string]json.RawMessage
}

// ErrWrongType is the error of a typed accessor called on an event of
// another type.
var ErrWrongType = errors.New("vkevent: the event is of another type")

// ErrNoObject is the error of Decode and the typed accessors for an event
// without an object.
var ErrNoObject = errors.New("vkevent: the event has no object")

// UnmarshalJSON decodes an envelope tolerantly: any field order, v absent,
// group_id as a number or a string, unknown fields kept in Extra. It fails
// only when b is not a JSON object.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("vkevent: event is null")
	}
	*e = Event{}
	for k, v := range m {
		switch k {
		case "type":
			var s string
			if json.Unmarshal(v, &s) == nil { // a type is a string or nothing
				e.Type = Type(s)
			}
		case "event_id":
			decodeValue(v, &e.EventID)
		case "group_id":
			decodeValue(v, &e.GroupID)
		case "v":
			decodeValue(v, &e.V)
		case "secret":
			decodeValue(v, &e.Secret)
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

// MarshalJSON encodes the envelope as VK sends it, without Secret.
func (e Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 5+len(e.Extra))
	for k, v := range e.Extra {
		m[k] = v
	}
	delete(m, "secret")
	m["type"] = e.Type
	m["event_id"] = e.EventID
	m["group_id"] = e.GroupID
	if e.V != "" {
		m["v"] = e.V
	}
	if len(e.Object) > 0 {
		m["object"] = e.Object
	}
	return json.Marshal(m)
}

// String is a one-line summary for logs, without Secret or the object.
func (e *Event) String() string {
	return string(e.Type) + " " + e.EventID + " group " + strconv.FormatInt(e.GroupID, 10)
}

// LogValue makes slog print the envelope without Secret or the object.
func (e *Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(e.Type)), slog.String("event_id", e.EventID),
		slog.Int64("group_id", e.GroupID), slog.String("v", e.V))
}

// Known reports whether the event's type is one of the schema's.
func (e *Event) Known() bool { return slices.Contains(Types, e.Type) }

// Decode decodes the object into the Go type of the event's type (a
// *MessageNew for message_new...). An event whose type has no schema
// object, or is unknown, decodes to its raw object (json.RawMessage).
func (e *Event) Decode() (any, error) {
	o := newObject(e.Type)
	if o == nil {
		if len(e.Object) == 0 {
			return nil, ErrNoObject
		}
		return e.Object, nil
	}
	if len(e.Object) == 0 {
		return nil, ErrNoObject
	}
	if err := json.Unmarshal(e.Object, o); err != nil {
		return nil, &ObjectError{Type: e.Type, Err: err}
	}
	return o, nil
}

// ObjectError is the failure to decode an event's object: it was not a
// JSON object.
type ObjectError struct {
	Type Type
	Err  error
}

func (e *ObjectError) Error() string {
	return "vkevent: object of " + string(e.Type) + ": " + e.Err.Error()
}

func (e *ObjectError) Unwrap() error { return e.Err }

func objectAs[T any](e *Event, t Type) (*T, error) {
	if e.Type != t {
		return nil, ErrWrongType
	}
	if len(e.Object) == 0 {
		return nil, ErrNoObject
	}
	o := new(T)
	if err := json.Unmarshal(e.Object, o); err != nil {
		return nil, &ObjectError{Type: t, Err: err}
	}
	return o, nil
}
