package userlongpoll

import (
	"encoding/json"
	"errors"
	"testing"
)

func mustDecode(t *testing.T, body string) []Update {
	t.Helper()
	a, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return a.Updates
}

// Versions 3 and 19 decode to the same typed updates.
func TestTypedUpdatesV3AndV19(t *testing.T) {
	v3 := mustDecode(t, `{"ts":10,"pts":20,"updates":[
		[4,501,17,2000000003,1700000000,"hi",{"from":"7"},{},99],
		[6,2000000003,501],
		[7,7,500],
		[2,501,8,2000000003]]}`)
	v19 := mustDecode(t, `{"ts":10,"pts":20,"updates":[
		[10004,12,17,0,2000000003,1700000000,"hi",{"from":"7"},{},99,501,0],
		[10006,2000000003,12,0],
		[10007,7,11,1],
		[10002,12,8,2000000003],
		[10005,12,17,2000000003,1700000000,"edited",{},{},99,501,1700000100]]}`)
	for i, ups := range [][]Update{v3, v19} {
		m, err := ups[0].Message()
		if err != nil || m.MessageID != 501 || m.PeerID != 2000000003 || m.Text != "hi" || m.Timestamp != 1700000000 || m.RandomID != 99 || m.Flags != 17 {
			t.Errorf("version %d: message %+v %v", []int{3, 19}[i], m, err)
		}
		r, err := ups[1].Read()
		if err != nil || r.PeerID != 2000000003 || r.Outgoing {
			t.Errorf("version %d: read %+v %v", []int{3, 19}[i], r, err)
		}
		if r, _ := ups[2].Read(); !r.Outgoing || r.PeerID != 7 {
			t.Errorf("version %d: read out %+v", []int{3, 19}[i], r)
		}
		f, err := ups[3].Flags()
		if err != nil || !f.Set || f.Flags != 8 || f.PeerID != 2000000003 {
			t.Errorf("version %d: flags %+v %v", []int{3, 19}[i], f, err)
		}
		if _, err := ups[1].Message(); !errors.Is(err, ErrNotMessage) {
			t.Errorf("a read update as a message: %v", err)
		}
	}
	if m, _ := v19[0].Message(); m.ConversationMessageID != 12 {
		t.Errorf("cmid %d", m.ConversationMessageID)
	}
	if m, err := v19[4].Message(); err != nil || m.Text != "edited" || m.MessageID != 501 || m.PeerID != 2000000003 {
		t.Errorf("edit: %+v %v", m, err)
	}
	if v3[0].key() != v19[0].key() {
		t.Error("the same new message has two keys")
	}
}

// A history page of any bytes never panics, and a message update finds its
// object by id.
func FuzzDecodeHistory(f *testing.F) {
	f.Add([]byte(`{"history":[[4,1,1,7,1,"x"],[10004,1,1,0,7,1,"x",{},{},0,2,0]],"messages":{"items":[{"id":1},{"id":2}]},"new_pts":5,"more":true}`))
	f.Add([]byte(`{"history":[1,[],["4"],[4,"a"]],"messages":{"items":[1,{"id":"x"}]},"new_pts":"abc"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h historyPage
		if json.Unmarshal(b, &h) != nil {
			return
		}
		ups := decodeHistory(h.History, h.Messages.Items)
		if len(ups) != len(h.History) {
			t.Fatalf("%d updates of %d", len(ups), len(h.History))
		}
		for i := range ups {
			if ups[i].Object != nil {
				if m, err := ups[i].Message(); err != nil || m.MessageID <= 0 {
					t.Fatalf("an object on a non-message update %d", ups[i].Code)
				}
			}
		}
		_, _ = number(h.NewPTS)
	})
}
