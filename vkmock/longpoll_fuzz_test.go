package vkmock

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkevent"
)

// FuzzLongPollCheck drives the a_check parser with arbitrary queries: the
// answer is a Long Poll body (updates or failed) or nothing (the request
// would hold, and its context is already done).
func FuzzLongPollCheck(f *testing.F) {
	s := MustNew()
	if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: DefaultGroupID, Enabled: true}); err != nil {
		f.Fatal(err)
	}
	key, _, _ := s.lp.NewKey(DefaultGroupID)
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "x"}); err != nil {
		f.Fatal(err)
	}
	gid := strconv.FormatInt(DefaultGroupID, 10)
	f.Add(gid, "act=a_check&key="+key+"&ts=0&wait=25")
	f.Add(gid, "act=a_check&key="+key+"&ts=1&wait=0")
	f.Add(gid, "act=a_check&key="+key+"&ts=-5&wait=999999999999999999999")
	f.Add("1", "act=a_check&key="+key+"&ts=%zz")
	f.Add(gid, "act=nope")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, server, query string) {
		r := httptest.NewRequest(http.MethodGet, "/lp/wh0", nil).WithContext(ctx)
		r.URL.Path, r.URL.RawQuery = "/lp/wh"+server, query
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Body.Len() == 0 {
			return
		}
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if _, err := vkevent.DecodeLongPoll(w.Body.Bytes()); err != nil && !bytes.Contains(w.Body.Bytes(), []byte(`"failed"`)) {
			t.Fatalf("%s: %v", w.Body, err)
		}
	})
}

// FuzzLongPollControl posts arbitrary bodies to the control endpoints of
// the world's events: 2xx with JSON, or 400 with an error, never a panic.
func FuzzLongPollControl(f *testing.F) {
	s := MustNew()
	paths := []string{"/__vkmock/inbox", "/__vkmock/events", "/__vkmock/button", "/__vkmock/longpoll", "/__vkmock/longpoll/settings", "/__vkmock/longpoll/lose"}
	f.Add(uint8(0), []byte(`{"from_id":7,"group_id":1,"text":"hi","payload":"{\"a\":1}"}`))
	f.Add(uint8(1), []byte(`{"type":"group_join","group_id":1,"object":{"user_id":1,"join_type":"join"}}`))
	f.Add(uint8(1), []byte(`{"type":"message_new","group_id":1,"object":{"message":{"text":1}}}`))
	f.Add(uint8(2), []byte(`{"user_id":7,"group_id":1,"payload":[1]}`))
	f.Add(uint8(3), []byte(`{"key_lifetime":"1ns","history_events":1,"history_bytes":1}`))
	f.Add(uint8(4), []byte(`{"group_id":1,"enabled":true,"api_version":"5.1","events":{"message_new":true}}`))
	f.Add(uint8(5), []byte(`{"group_id":-1}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], bytes.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if len(s.LongPoll().Events()) > DefaultEventLogSize {
			t.Fatal("event log unbounded")
		}
	})
}
