package vkevent

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/vkerr/vkerr"
)

// Answer is a successful Bots Long Poll answer.
type Answer struct {
	// TS is the ts to send with the next request (VK sends a string; a
	// number is accepted too).
	TS string
	// Events are the updates, in order.
	Events []Event
}

// DecodeLongPoll decodes a Bots Long Poll answer: {"ts":..., "updates":[...]}
// (a trailing "\r\n" and a number ts accepted). A {"failed":N} answer is a
// *vkerr.LongPollError, whose Action says what to do; a body that is not
// JSON is a *vkerr.HTTPError or *vkerr.FormatError (keep server, key and
// ts, back off, retry). An update that is not a JSON object is kept as an
// Event with only Object set (never an error: one odd update must not
// stall the stream). The Answer keeps no reference to body: the caller may
// reuse its buffer. The events' Object and Extra values may share one copy
// of it, so an event kept long after its answer keeps that copy alive
// (clone the Object to keep it alone).
func DecodeLongPoll(body []byte) (*Answer, error) {
	if a := decodeLongPollFast(body); a != nil {
		return a, nil
	}
	return decodeLongPollSlow(body)
}

// decodeLongPollFast decodes in one pass the answer VK sends when there
// are events, {"ts":"N","updates":[...]}, with each event's object and
// unknown fields sub-slices of one copy of body. It returns nil for
// anything else (a failure, another field, a ts that is not a plain
// string, a syntax error), which decodeLongPollSlow decodes and words.
func decodeLongPollFast(body []byte) *Answer {
	keep := bytes.Clone(body)
	r := newReader(keep)
	a := &Answer{}
	var sawTS, sawUpdates bool
	for first := true; r.NextKey(&first); {
		switch string(r.Key()) {
		case "ts":
			s, ok := []byte(nil), r.Peek() == '"'
			if ok {
				s, ok = r.PlainString()
			}
			if !ok || len(s) == 0 || sawTS {
				return nil
			}
			a.TS, sawTS = string(s), true
		case "updates":
			if sawUpdates {
				return nil
			}
			sawUpdates = true
			switch r.Peek() {
			case 'n':
				r.Literal("null")
				continue
			case '[':
			default:
				return nil
			}
			for first := true; r.NextItem(&first); {
				a.Events = append(a.Events, Event{})
				e := &a.Events[len(a.Events)-1]
				if r.Peek() == '{' {
					e.readFrom(&r, keep)
				} else if v := r.Value(); v != nil {
					e.Object = keep[r.Pos()-len(v) : r.Pos() : r.Pos()]
				}
			}
		default:
			return nil
		}
	}
	r.End()
	if r.Err() != nil || !sawTS {
		return nil
	}
	if a.Events == nil {
		a.Events = []Event{}
	}
	return a
}

// decodeLongPollSlow decodes any answer with vkerr.DecodeLongPoll, then
// each update.
func decodeLongPollSlow(body []byte) (*Answer, error) {
	r, err := vkerr.DecodeLongPoll(body)
	if err != nil {
		return nil, err
	}
	a := &Answer{TS: r.TS, Events: make([]Event, len(r.Updates))}
	if a.TS == "" {
		return nil, &vkerr.FormatError{Reason: "long poll answer has an empty ts", Snippet: vkerr.RedactedSnippet(body)}
	}
	for i, u := range r.Updates {
		if err := a.Events[i].UnmarshalJSON(u); err != nil {
			a.Events[i] = Event{Object: bytes.Clone(u)}
		}
	}
	return a, nil
}

// DecodeCallback decodes a Callback API body: one event envelope with a
// "type" (a confirmation request is an Event of TypeConfirmation). A body
// that is not a JSON object with a type is a *vkerr.FormatError.
func DecodeCallback(body []byte) (*Event, error) {
	var e Event
	if err := e.UnmarshalJSON(body); err != nil {
		return nil, &vkerr.FormatError{Reason: "callback body is not a JSON object: " + err.Error(), Snippet: vkerr.RedactedSnippet(body)}
	}
	if e.Type == "" {
		return nil, &vkerr.FormatError{Reason: `callback body has no "type"`, Snippet: vkerr.RedactedSnippet(body)}
	}
	return &e, nil
}

// AppendUpdates appends to dst a Bots Long Poll answer with ts and events,
// as VK writes it.
func AppendUpdates(dst []byte, ts int64, events []json.RawMessage) []byte {
	dst = append(dst, `{"ts":"`...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `","updates":[`...)
	for i, e := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e...)
	}
	return append(dst, "]}"...)
}
