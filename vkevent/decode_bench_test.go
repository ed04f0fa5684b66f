package vkevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr"
)

// benchObjects are objects of the common event types, as VK sends them
// (message_new and wall_post_new from the spec's wire examples 04 and 54).
var benchObjects = []struct {
	typ Type
	obj string
}{
	{TypeMessageNew, `{"message":{"date":1612685621,"from_id":326596496,"id":9,"out":0,"peer_id":326596496,"text":"Добрый день!","conversation_message_id":9,"fwd_messages":[],"important":false,"random_id":0,"attachments":[],"is_hidden":false},"client_info":{"button_actions":["text","vkpay","open_app","location","open_link","open_photo","callback","intent_subscribe","intent_unsubscribe"],"keyboard":true,"inline_keyboard":true,"carousel":true,"lang_id":0}}`},
	{TypeMessageReply, `{"date":1612685622,"from_id":-202308925,"id":10,"out":1,"peer_id":326596496,"text":"Здравствуйте! Чем помочь?","conversation_message_id":10,"fwd_messages":[],"important":false,"random_id":1234567,"attachments":[],"admin_author_id":326596496,"is_hidden":false}`},
	{TypeMessageEvent, `{"user_id":326596496,"peer_id":326596496,"event_id":"3159dc190b1f","payload":{"button":"buy","item":42},"conversation_message_id":11}`},
	{TypeWallPostNew, wallPostObject()},
	{TypeGroupJoin, `{"user_id":326596496,"join_type":"join"}`},
	{TypeLikeAdd, `{"liker_id":326596496,"object_type":"post","object_owner_id":-202308925,"object_id":16420,"thread_reply_id":0,"post_id":0}`},
}

// wallPostObject is the object of the spec's wire example 54.
func wallPostObject() string {
	b, err := os.ReadFile("testdata/54-callback-wall-post-new-secret.json")
	if err != nil {
		return `{}`
	}
	var e struct{ Object json.RawMessage }
	_ = json.Unmarshal(b, &e)
	return string(e.Object)
}

// plainType is t with every struct of this package replaced by an unnamed
// struct of the same fields: a type without UnmarshalJSON methods, which
// encoding/json decodes by reflection (what a hand-written struct with json
// tags costs). A struct nested in itself (a forwarded message's forwarded
// messages) stays raw JSON there: reflect cannot build recursive types.
func plainType(t reflect.Type) reflect.Type { return plainTypeIn(t, map[reflect.Type]bool{}) }

func plainTypeIn(t reflect.Type, open map[reflect.Type]bool) reflect.Type {
	raw := reflect.TypeFor[json.RawMessage]()
	switch t.Kind() {
	case reflect.Pointer:
		e := plainTypeIn(t.Elem(), open)
		if e == raw {
			return raw
		}
		return reflect.PointerTo(e)
	case reflect.Slice:
		if t == raw {
			return t
		}
		e := plainTypeIn(t.Elem(), open)
		if e == raw {
			return raw
		}
		return reflect.SliceOf(e)
	case reflect.Struct:
		if open[t] {
			return raw
		}
		open[t] = true
		defer delete(open, t)
		fields := make([]reflect.StructField, t.NumField())
		for i := range fields {
			f := t.Field(i)
			fields[i] = reflect.StructField{Name: f.Name, Type: plainTypeIn(f.Type, open), Tag: f.Tag}
		}
		return reflect.StructOf(fields)
	}
	return t
}

// BenchmarkDecodeObject decodes the object of each common event type with
// the typed accessor (the generated single-pass decoder), and with
// encoding/json into the same struct without its decoder.
//
//	go test -run '^$' -bench DecodeObject -benchmem ./vkevent
func BenchmarkDecodeObject(b *testing.B) {
	for _, c := range benchObjects {
		obj := []byte(c.obj)
		b.Run(string(c.typ)+"/vkevent", func(b *testing.B) {
			e := &Event{Type: c.typ, Object: obj}
			b.SetBytes(int64(len(obj)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(c.typ)+"/encoding_json", func(b *testing.B) {
			t := plainType(reflect.TypeOf(newObject(c.typ)).Elem())
			b.SetBytes(int64(len(obj)))
			b.ReportAllocs()
			for b.Loop() {
				// A value of another type than the field's (message_event's
				// payload is an object, the schema says a string) is an
				// UnmarshalTypeError after the rest was decoded.
				var te *json.UnmarshalTypeError
				if err := json.Unmarshal(obj, reflect.New(t).Interface()); err != nil && !errors.As(err, &te) {
					b.Fatal(err)
				}
			}
		})
	}
}

// longPollAnswer is an answer of n message_new events.
func longPollAnswer(n int) []byte {
	events := make([]json.RawMessage, n)
	for i := range events {
		events[i] = json.RawMessage(`{"group_id":202308925,"type":"message_new","event_id":"810c3002e50fb85d205fdbbfa23c03a7dd05` + strconv.Itoa(10000+i) + `","v":"5.199","object":` + benchObjects[0].obj + `}`)
	}
	return AppendUpdates(nil, 10, events)
}

// BenchmarkDecodeLongPoll decodes an answer of 100 message_new events:
// DecodeLongPoll (envelopes only; each object stays raw until a handler
// asks), DecodeLongPoll and every object, and encoding/json into a struct
// of envelopes (object raw) as a bare loop would. Figures are per event.
//
//	go test -run '^$' -bench DecodeLongPoll -benchmem ./vkevent
func BenchmarkDecodeLongPoll(b *testing.B) {
	const n = 100
	body := longPollAnswer(n)
	perEvent := func(b *testing.B) { b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event") }
	b.Run("vkevent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeLongPoll(body); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b)
	})
	b.Run("vkevent_typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a, err := DecodeLongPoll(body)
			if err != nil {
				b.Fatal(err)
			}
			for i := range a.Events {
				if _, err := a.Events[i].MessageNew(); err != nil {
					b.Fatal(err)
				}
			}
		}
		perEvent(b)
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var a struct {
				TS      string `json:"ts"`
				Updates []struct {
					Type    string          `json:"type"`
					EventID string          `json:"event_id"`
					GroupID int64           `json:"group_id"`
					V       string          `json:"v"`
					Object  json.RawMessage `json:"object"`
				} `json:"updates"`
			}
			if err := json.Unmarshal(body, &a); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b)
	})
	// What this package did before the single-pass decoders (the
	// reference decoder of reference_test.go).
	b.Run("before", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeLongPollBefore(body); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b)
	})
	b.Run("before_typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a, err := decodeLongPollBefore(body)
			if err != nil {
				b.Fatal(err)
			}
			for i := range a.Events {
				if err := refDecodeObject(a.Events[i].Object, new(MessageNew)); err != nil {
					b.Fatal(err)
				}
			}
		}
		perEvent(b)
	})
}

// decodeLongPollBefore is the decoding of an answer before the fast
// path: vkerr.DecodeLongPoll, then each envelope through encoding/json's
// map (the reference decoder).
func decodeLongPollBefore(body []byte) (*Answer, error) {
	r, err := vkerr.DecodeLongPoll(body)
	if err != nil {
		return nil, err
	}
	a := &Answer{TS: r.TS, Events: make([]Event, len(r.Updates))}
	for i, u := range r.Updates {
		if refEventUnmarshal(&a.Events[i], u) != nil {
			a.Events[i] = Event{Object: bytes.Clone(u)}
		}
	}
	return a, nil
}
