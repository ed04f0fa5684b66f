package vkevent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func readWire(t *testing.T, name string) []byte {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", name+"-*.json"))
	if err != nil || len(m) != 1 {
		t.Fatalf("wire example %s: %v %v", name, m, err)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWireMessageNewClientInfoCRLF(t *testing.T) {
	body := readWire(t, "04")
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatal("fixture lost its \\r\\n")
	}
	a, err := DecodeLongPoll(body)
	if err != nil {
		t.Fatal(err)
	}
	if a.TS != "10" || len(a.Events) != 1 {
		t.Fatalf("answer: %+v", a)
	}
	e := &a.Events[0]
	if e.Type != TypeMessageNew || e.GroupID != 202308925 || e.EventID != "810c3002e50fb85d205fdbbfa23c03a7dd05706b" || e.V != "" {
		t.Fatalf("envelope: %+v", e)
	}
	o, err := e.MessageNew()
	if err != nil {
		t.Fatal(err)
	}
	if o.Message == nil || o.Message.Text != "Добрый день!" || o.Message.FromID != 326596496 || o.Message.ConversationMessageID != 9 {
		t.Fatalf("message: %+v", o.Message)
	}
	if o.ClientInfo == nil || !o.ClientInfo.Keyboard || len(o.ClientInfo.ButtonActions) != 9 || o.ClientInfo.ButtonActions[6] != "callback" {
		t.Fatalf("client_info: %+v", o.ClientInfo)
	}
}

func TestWireFieldOrderAndV(t *testing.T) {
	a, err := DecodeLongPoll(readWire(t, "10"))
	if err != nil {
		t.Fatal(err)
	}
	e := &a.Events[0]
	if a.TS != "329" || e.V != "5.131" || e.GroupID != 222363225 || e.Type != TypeMessageNew {
		t.Fatalf("%+v %+v", a, e)
	}
	f, ok := e.MessageFields()
	if !ok || f.PeerID != 2000000001 || f.FromID != 51383207 || f.ConversationMessageID != 97 || f.Text != "дай ответ" {
		t.Fatalf("fields %+v %v", f, ok)
	}
}

func TestWireFailed(t *testing.T) {
	for _, c := range []struct {
		name   string
		failed int
		ts     string
		action vkerr.LongPollAction
	}{
		{"15", 1, "589", vkerr.LongPollUseNewTS},
		{"17", 2, "", vkerr.LongPollRefreshKey},
		{"18", 3, "", vkerr.LongPollRefreshKeyAndTS},
	} {
		_, err := DecodeLongPoll(readWire(t, c.name))
		var lp *vkerr.LongPollError
		if !errors.As(err, &lp) || lp.Failed != c.failed || lp.TS != c.ts || lp.Action() != c.action {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestWireCallbackBodies(t *testing.T) {
	e, err := DecodeCallback(readWire(t, "53"))
	if err != nil || e.Type != TypeConfirmation || e.GroupID != 125262672 || e.Object != nil {
		t.Fatalf("confirmation: %+v %v", e, err)
	}
	if _, err := e.Decode(); !errors.Is(err, ErrNoObject) {
		t.Fatalf("confirmation object: %v", err)
	}
	e, err = DecodeCallback(readWire(t, "54"))
	if err != nil || e.Type != TypeWallPostNew || e.Secret != "SECRET_TOKEN_123" {
		t.Fatalf("wall_post_new: %+v %v", e, err)
	}
	p, err := e.WallPostNew()
	if err != nil || p.ID != 16420 || p.OwnerID != -124752609 || p.PostType != "post" || len(p.Attachments) != 2 || !strings.HasPrefix(p.Text, "8 мая") {
		t.Fatalf("post: %+v %v", p, err)
	}
	for _, out := range []string{e.String(), mustJSON(t, e), mustJSON(t, *e)} {
		if strings.Contains(out, "SECRET_TOKEN") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLegacyMessageNew(t *testing.T) {
	a, err := DecodeLongPoll([]byte(`{"ts":7,"updates":[{"type":"message_new","object":{"id":5,"date":1,"out":0,"user_id":42,"read_state":0,"title":"","body":"hi"},"group_id":"1","event_id":"e"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.TS != "7" || a.Events[0].GroupID != 1 {
		t.Fatalf("%+v", a)
	}
	o, err := a.Events[0].MessageNew()
	if err != nil || o.ClientInfo != nil || o.Message.Text != "hi" || o.Message.FromID != 42 || o.Message.PeerID != 42 || o.Message.ID != 5 {
		t.Fatalf("%+v %v", o, err)
	}
}

func TestTolerantFields(t *testing.T) {
	e, err := DecodeCallback([]byte(`{"object":{"user_id":"7","peer_id":2e9,"event_id":"x","payload":{"a":[1]},"conversation_message_id":3,"zzz":1},"type":"message_event","group_id":1,"event_id":"ev","new_field":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Extra["new_field"]) != "[1]" {
		t.Fatalf("extra: %v", e.Extra)
	}
	o, err := e.MessageEvent()
	if err != nil || o.UserID != 7 || o.PeerID != 2000000000 || o.Payload != `{"a":[1]}` || o.ConversationMessageID != 3 {
		t.Fatalf("%+v %v", o, err)
	}
	var m Message
	if err := json.Unmarshal([]byte(`{"important":1,"is_hidden":"true","out":true,"text":5,"id":1.5,"geo":"nope","fwd_messages":{}}`), &m); err != nil {
		t.Fatal(err)
	}
	if !m.Important || !m.IsHidden || m.Out != 1 || m.Text != "5" || m.ID != 0 || m.Geo != nil || m.FwdMessages != nil {
		t.Fatalf("%+v", m)
	}
	if err := json.Unmarshal([]byte(`[1]`), &m); err == nil {
		t.Fatal("an array decoded as a message")
	}
}

func TestUnknownTypeKept(t *testing.T) {
	a, err := DecodeLongPoll([]byte(`{"ts":"3","updates":[{"type":"brand_new","object":{"q":1},"group_id":5,"event_id":"z","v":"5.199"},7]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Events) != 2 || a.Events[0].Known() || a.Events[1].Type != "" || string(a.Events[1].Object) != "7" {
		t.Fatalf("%+v", a.Events)
	}
	o, err := a.Events[0].Decode()
	if raw, ok := o.(json.RawMessage); err != nil || !ok || string(raw) != `{"q":1}` {
		t.Fatalf("%v %v", o, err)
	}
	if _, err := a.Events[0].MessageNew(); !errors.Is(err, ErrWrongType) {
		t.Fatal(err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, b := range []string{``, `<html>502</html>`, `{"ts":"1","upd`, `{"updates":[]}`, `{"ts":""}`, `null`, `{"type":"x"}`} {
		if _, err := DecodeLongPoll([]byte(b)); err == nil {
			t.Errorf("long poll %q: no error", b)
		}
	}
	for _, b := range []string{``, `[]`, `{"ts":"1","updates":[]}`, `{"type":5}`, `null`} {
		if _, err := DecodeCallback([]byte(b)); err == nil {
			t.Errorf("callback %q: no error", b)
		}
	}
}

func TestEveryTypeDecodes(t *testing.T) {
	if DefinitionCount != 58 {
		t.Fatalf("DefinitionCount %d", DefinitionCount)
	}
	for _, ty := range Types {
		e := &Event{Type: ty, GroupID: 1, Object: json.RawMessage(`{"id":1,"user_id":2}`)}
		o, err := e.Decode()
		if err != nil || o == nil {
			t.Errorf("%s: %v", ty, err)
		}
		_, typed := requiredFields[ty]
		if _, raw := o.(json.RawMessage); raw == typed {
			t.Errorf("%s: decoded to %T, typed=%v", ty, o, typed)
		}
	}
}

// What VK really sends validates.
func TestWireExamplesValidate(t *testing.T) {
	for _, name := range []string{"04", "10"} {
		a, err := DecodeLongPoll(readWire(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Events[0].Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	e, err := DecodeCallback(readWire(t, "54"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Errorf("54: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := &Event{Type: TypeGroupJoin, GroupID: 1, Object: json.RawMessage(`{"user_id":1,"join_type":"join"}`)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Event{
		{Type: "nope", GroupID: 1},
		{Type: TypeGroupJoin, GroupID: 0, Object: ok.Object},
		{Type: TypeGroupJoin, GroupID: 1},
		{Type: TypeGroupJoin, GroupID: 1, Object: json.RawMessage(`{"user_id":1}`)},
		{Type: TypeGroupJoin, GroupID: 1, Object: json.RawMessage(`[1]`)},
	} {
		if e.Validate() == nil {
			t.Errorf("%+v validated", e)
		}
	}
	if err := (&Event{Type: TypeLeadFormsNew, GroupID: 1}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRouter(t *testing.T) {
	var r Router
	var got []string
	r.OnMessageNew(func(_ context.Context, e *Event, o *MessageNew) error {
		got = append(got, "new:"+o.Message.Text)
		return nil
	})
	if err := r.HandleEvent(context.Background(), &Event{Type: TypeGroupJoin}); err != nil {
		t.Fatal(err) // zero Default ignores
	}
	r.Default = HandlerFunc(func(_ context.Context, e *Event) error {
		got = append(got, "default:"+string(e.Type))
		return errors.New("boom")
	})
	_ = r.HandleEvent(context.Background(), &Event{Type: TypeMessageNew, Object: json.RawMessage(`{"message":{"text":"a"}}`)})
	if err := r.HandleEvent(context.Background(), &Event{Type: "x"}); err == nil || err.Error() != "boom" {
		t.Fatal(err)
	}
	if err := r.HandleEvent(context.Background(), &Event{Type: TypeMessageNew, Object: json.RawMessage(`"s"`)}); err == nil {
		t.Fatal("a string object decoded")
	}
	if strings.Join(got, ",") != "new:a,default:x" {
		t.Fatal(got)
	}
}

func TestAppendUpdates(t *testing.T) {
	b := AppendUpdates(nil, 12, []json.RawMessage{json.RawMessage(`{"type":"group_join","object":{},"group_id":1,"event_id":"a"}`), json.RawMessage(`{"type":"x","group_id":1}`)})
	a, err := DecodeLongPoll(b)
	if err != nil || a.TS != "12" || len(a.Events) != 2 || a.Events[1].Type != "x" {
		t.Fatalf("%s: %+v %v", b, a, err)
	}
}

// DecodeLongPoll keeps no reference to its body: a caller may reuse the
// buffer for the next answer.
func TestDecodeLongPollKeepsNoReferenceToBody(t *testing.T) {
	for _, body := range []string{
		`{"ts":"5","updates":[{"type":"message_new","event_id":"e1","group_id":1,"object":{"message":{"text":"hi"}},"extra":[1]},7]}`,
		`{"ts":5,"pts":1,"updates":[{"type":"message_new","event_id":"e1","group_id":1,"object":{"message":{"text":"hi"}},"extra":[1]},7]}`,
	} {
		buf := []byte(body)
		a, err := DecodeLongPoll(buf)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DecodeLongPoll([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := range buf {
			buf[i] = 'x'
		}
		if !reflect.DeepEqual(a, want) {
			t.Errorf("%s: after the body was overwritten: %+v, want %+v", body, a, want)
		}
	}
}
