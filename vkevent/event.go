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

// errEventNull is the error of an envelope that is JSON null.
var errEventNull = errors.New("vkevent: event is null")

// ErrNoObject is the error of Decode and the typed accessors for an event
// without an object.
var ErrNoObject = errors.New("vkevent: the event has no object")

// UnmarshalJSON decodes an envelope tolerantly: any field order, v absent,
// group_id as a number or a string, unknown fields kept in Extra. It fails
// only when b is not a JSON object.
func (e *Event) UnmarshalJSON(b []byte) error {
	r := newReader(b)
	var ev Event
	isObject := r.Peek() == '{'
	if isObject {
		ev.readFrom(&r, nil)
		r.End()
	}
	if !isObject || r.Err() != nil {
		return envelopeError(b)
	}
	*e = ev
	return nil
}

// envelopeError is the error of an envelope that is not a JSON object, as
// encoding/json words it.
func envelopeError(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errEventNull
	}
	return errNotObject // not reached: b was an object
}

// readFrom reads the envelope object at r into the zero e. The object and
// the Extra values are sub-slices of keep when it is not nil (a copy of
// r's bytes the caller made for this), else copies of their own.
func (e *Event) readFrom(r *reader, keep []byte) {
	own := func(v []byte) []byte {
		if keep == nil {
			return bytes.Clone(v)
		}
		return keep[r.Pos()-len(v) : r.Pos() : r.Pos()]
	}
	for first := true; r.NextKey(&first); {
		switch string(r.Key()) {
		case "type":
			if r.Peek() == '"' {
				e.Type = internType(r.str())
			} else {
				r.skip()
				e.Type = ""
			}
		case "event_id":
			e.EventID = r.str()
		case "group_id":
			e.GroupID = r.int64()
		case "v":
			if r.Peek() == '"' {
				if v, ok := r.PlainString(); ok {
					e.V = internVersion(v)
					continue
				}
			}
			e.V = r.str()
		case "secret":
			e.Secret = r.str()
		case "object":
			if v := r.Value(); v != nil && string(v) != "null" {
				e.Object = own(v)
			} else {
				e.Object = nil
			}
		default:
			k := string(r.Key())
			v := r.Value()
			if v == nil {
				return
			}
			if e.Extra == nil {
				e.Extra = map[string]json.RawMessage{}
			}
			e.Extra[k] = own(v)
		}
	}
}

// typeByName finds the constant of a known type, so that decoding one
// does not allocate its name.
var typeByName = func() map[string]Type {
	m := make(map[string]Type, len(Types))
	for _, t := range Types {
		m[string(t)] = t
	}
	return m
}()

// internVersion is v as a string, SchemaVersion's without allocating.
func internVersion(v []byte) string {
	if string(v) == SchemaVersion {
		return SchemaVersion
	}
	return string(v)
}

func internType(s string) Type {
	if t, ok := typeByName[s]; ok {
		return t
	}
	return Type(s)
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
	if err := o.UnmarshalJSON(e.Object); err != nil {
		return nil, &ObjectError{Type: e.Type, Err: objectError(e.Object, o)}
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

func objectAs[T any, P decoder[T]](e *Event, t Type) (*T, error) {
	if e.Type != t {
		return nil, ErrWrongType
	}
	if len(e.Object) == 0 {
		return nil, ErrNoObject
	}
	o := new(T)
	if err := decodeObject[T, P](e.Object, o); err != nil {
		return nil, &ObjectError{Type: t, Err: objectError(e.Object, P(o))}
	}
	return o, nil
}

// objectError is the error of an object that did not decode, as
// encoding/json words it (a syntax error, or the object's own).
func objectError(b []byte, o json.Unmarshaler) error {
	if err := json.Unmarshal(b, o); err != nil {
		return err
	}
	return errNotObject
}
