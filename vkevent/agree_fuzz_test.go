package vkevent

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/internal/jsonread"
)

// agreeSeeds are inputs where a single-pass decoder could part from the
// reference: escapes, duplicate members, the legacy message shape, values
// of the wrong kind, bad UTF-8, bad syntax deep inside.
var agreeSeeds = []string{
	`{"message":{"id":1,"text":"a","fwd_messages":[{"text":1}]},"client_info":{"keyboard":1}}`,
	`{"id":"1","from_id":-1.0,"attachments":[{"type":"photo"}],"likes":{"count":"2"}}`,
	`{"id":5,"body":"legacy","user_id":"7","read_state":1}`,
	`{"t\u0065xt":"\u00e9\ud83d\ude00","text":"x","id":1,"id":null}`,
	`{"message":{"text":"a"},"message":5,"client_info":{"a":1},"client_info":{"button_actions":["x",1,null]}}`,
	"{\"text\":\"\xff\xfe\",\"payload\":{\"a\":[1,2,{}]},\"important\":\"1\",\"is_hidden\":2.5}",
	`{"id":1e3,"date":"12","out":true,"peer_id":1.5,"from_id":9223372036854775808}`,
	`{"message":{"attachments":[1,null,{"type":"x"}],"fwd_messages":{}}} `,
	`{"a":[1,2,}`, `{"a":01}`, `{"a":"\x"}`, `{"a":tru}`, `[{"a":1}]`, `null`, ` null `, `"s"`,
	`{"type":"message_new","event_id":"e","group_id":"1","v":5.199,"object":{"message":{}},"x":[1]}`,
	`{"ts":"4","updates":[{"type":"message_new","object":null},null,1,{"type":7,"extra":{"a":1}}]}`,
	`{"ts":4,"updates":[]}`, `{"failed":2}`, `{"ts":"","updates":null}`, `{"ts":"1","updates":null,"pts":1}`,
	strings.Repeat("[", 50) + strings.Repeat("]", 50),
	`{"message":` + strings.Repeat(`{"a":`, 50) + `1` + strings.Repeat(`}`, 51),
}

// TestDepthLimitAgrees: encoding/json refuses nesting deeper than 10,000
// levels, and so do the single-pass decoders, at the same depth.
func TestDepthLimitAgrees(t *testing.T) {
	for _, depth := range []int{jsonread.MaxDepth, jsonread.MaxDepth + 1} {
		b := []byte(`{"message":` + strings.Repeat(`[`, depth-1) + strings.Repeat(`]`, depth-1) + `}`)
		var fast, ref MessageObject
		errFast, errRef := fast.UnmarshalJSON(b), refDecodeObject(b, &ref)
		if (errFast == nil) != (errRef == nil) || (errFast == nil) != (depth <= jsonread.MaxDepth) {
			t.Errorf("depth %d: fast error %v, reference error %v", depth, errFast, errRef)
		}
		var e, refE Event
		errFast, errRef = e.UnmarshalJSON(b), refEventUnmarshal(&refE, b)
		if (errFast == nil) != (errRef == nil) {
			t.Errorf("envelope, depth %d: fast error %v, reference error %v", depth, errFast, errRef)
		}
	}
}

// FuzzFastDecoderAgrees checks the generated single-pass decoders, the
// envelope's and DecodeLongPoll's fast path against the reference decoder
// (reflection over encoding/json's maps, what the package did before): on
// any input, the same value or both an error.
func FuzzFastDecoderAgrees(f *testing.F) {
	addWireSeeds(f)
	for _, s := range agreeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ty := range Types {
			fast := newObject(ty)
			if fast == nil {
				continue
			}
			ref := newObject(ty)
			errFast := fast.UnmarshalJSON(b)
			errRef := refDecodeObject(b, ref)
			if (errFast == nil) != (errRef == nil) {
				t.Fatalf("%s: fast error %v, reference error %v", ty, errFast, errRef)
			}
			if !reflect.DeepEqual(fast, ref) {
				t.Fatalf("%s: fast %+v, reference %+v", ty, fast, ref)
			}
		}

		var fast, ref Event
		errFast := fast.UnmarshalJSON(b)
		errRef := refEventUnmarshal(&ref, b)
		if (errFast == nil) != (errRef == nil) {
			t.Fatalf("envelope: fast error %v, reference error %v", errFast, errRef)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("envelope: fast %+v, reference %+v", fast, ref)
		}

		if a := decodeLongPollFast(b); a != nil {
			want, err := decodeLongPollSlow(b)
			if err != nil {
				t.Fatalf("long poll: the fast path decoded what the slow one refuses (%v)", err)
			}
			if !reflect.DeepEqual(a, want) {
				t.Fatalf("long poll: fast %+v, slow %+v", a, want)
			}
		}
	})
}
