package vkevent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func addWireSeeds(f *testing.F) {
	m, _ := filepath.Glob("testdata/*.json")
	for _, p := range m {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// Every decoder of network input takes any bytes without panicking, and
// whatever decodes re-encodes.
func FuzzDecodeLongPoll(f *testing.F) {
	addWireSeeds(f)
	f.Add([]byte(`{"ts":1,"updates":[null,1,{"type":"message_new","object":{"id":"x"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeLongPoll(b)
		if err != nil {
			return
		}
		for i := range a.Events {
			e := &a.Events[i]
			_, _ = e.Decode()
			_, _ = e.MessageFields()
			_ = e.Validate()
			if _, err := json.Marshal(e); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzDecodeCallback(f *testing.F) {
	addWireSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeCallback(b)
		if err != nil {
			return
		}
		if e.Type == "" {
			t.Fatal("decoded a body without a type")
		}
		_, _ = e.Decode()
		_, _ = e.MessageFields()
	})
}

// FuzzObjects decodes arbitrary objects as every event type.
func FuzzObjects(f *testing.F) {
	f.Add([]byte(`{"message":{"id":1,"text":"a","fwd_messages":[{"text":1}]},"client_info":{"keyboard":1}}`))
	f.Add([]byte(`{"id":"1","from_id":-1.0,"attachments":[{"type":"photo"}],"likes":{"count":"2"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ty := range Types {
			e := &Event{Type: ty, GroupID: 1, Object: b}
			_, _ = e.Decode()
			_, _ = e.MessageFields()
			_ = e.Validate()
		}
	})
}
