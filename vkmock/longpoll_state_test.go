package vkmock

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

func TestLongPollControlAPI(t *testing.T) {
	s := testServer(t)
	ctl := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL()+"/__vkmock"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	if code, b := ctl("POST", "/longpoll/settings", `{"group_id":200000001,"enabled":true}`); code != 200 || !strings.Contains(string(b), `"message_new":true`) {
		t.Fatalf("%d %s", code, b)
	}
	code, b := ctl("POST", "/inbox", `{"from_id":7,"group_id":200000001,"text":"hey"}`)
	var res InboxResult
	if code != 200 || json.Unmarshal(b, &res) != nil || res.Message.Message != "hey" || res.Event.TS != 1 || res.Event.Type != vkevent.TypeMessageNew {
		t.Fatalf("%d %s", code, b)
	}
	for _, bad := range []string{`{"from_id":0,"group_id":1,"text":"x"}`, `{"from_id":7,"group_id":1}`, `{"from_id":7,"group_id":1,"text":"x","payload":"{"}`, `{"from_id":100000003,"group_id":1,"text":"x"}`, `{"nope":1}`} {
		if code, _ := ctl("POST", "/inbox", bad); code != 400 {
			t.Errorf("inbox %s: %d", bad, code)
		}
	}
	if code, b := ctl("POST", "/events", `{"type":"group_join","group_id":200000001,"object":{"user_id":3,"join_type":"request"}}`); code != 201 || !strings.Contains(string(b), `"ts":2`) {
		t.Fatalf("%d %s", code, b)
	}
	for _, bad := range []string{`{"type":"group_join","group_id":200000001,"object":{"join_type":"request"}}`, `{"type":"bogus","group_id":1,"object":{}}`, `{"type":"confirmation","group_id":1}`, `{"type":"group_join","group_id":0,"object":{"user_id":3,"join_type":"x"}}`} {
		if code, _ := ctl("POST", "/events", bad); code != 400 {
			t.Errorf("inject %s: %d", bad, code)
		}
	}
	if code, b := ctl("POST", "/button", `{"user_id":7,"group_id":200000001}`); code != 200 || !strings.Contains(string(b), `"event_id"`) {
		t.Fatalf("%d %s", code, b)
	}
	var evs []EmittedEvent
	code, b = ctl("GET", "/events", "")
	if code != 200 || json.Unmarshal(b, &evs) != nil || len(evs) != 3 || evs[2].Type != vkevent.TypeMessageEvent {
		t.Fatalf("%d %s", code, b)
	}
	if code, b := ctl("POST", "/longpoll", `{"key_lifetime":"90s","history_events":50}`); code != 200 || !strings.Contains(string(b), `"key_lifetime":"1m30s"`) {
		t.Fatalf("%d %s", code, b)
	}
	if code, _ := ctl("POST", "/longpoll", `{"key_lifetime":"-1s"}`); code != 400 {
		t.Fatal("negative lifetime accepted")
	}
	if code, _ := ctl("POST", "/longpoll/lose", `{"group_id":200000001}`); code != 200 {
		t.Fatal(code)
	}
	if code, _ := ctl("POST", "/longpoll/expire", `{"group_id":0}`); code != 400 {
		t.Fatal(code)
	}
	if code, b := ctl("GET", "/longpoll/settings/200000001", ""); code != 200 || !strings.Contains(string(b), `"enabled":true`) {
		t.Fatalf("%d %s", code, b)
	}
	s.Reset()
	if len(s.LongPoll().Events()) != 0 || !reflect.DeepEqual(s.LongPoll().Settings(DefaultGroupID), botSettings(DefaultGroupID)) {
		t.Fatal("Reset kept Long Poll state")
	}
}

// The waiting semantics, on synctest's clock: a request holds until an
// event, the wait on the mock's clock, or its context.
func TestLongPollWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := MustNew()
		if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: DefaultGroupID, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		key, _, _ := s.newLongPollKey(DefaultGroupID)
		server := strconv.FormatInt(DefaultGroupID, 10)
		got := make(chan []byte, 1)
		start := time.Now()
		go func() { got <- s.aCheck(context.Background(), server, key, "0", 25, 0) }()
		synctest.Wait()
		if s.LongPoll().Waiting() != 1 {
			t.Fatal("the request is not holding")
		}
		time.Sleep(10 * time.Second)
		if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "x"}); err != nil {
			t.Fatal(err)
		}
		b := <-got
		if a := mustAnswer(t, b); len(a.Events) != 1 || time.Since(start) != 10*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		// No event: the answer comes after the wait, with the same ts.
		start = time.Now()
		go func() { got <- s.aCheck(context.Background(), server, key, "1", 25, 0) }()
		b = <-got
		if a := mustAnswer(t, b); a.TS != "1" || len(a.Events) != 0 || time.Since(start) != 25*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		// The mock's clock moving ends the wait early.
		start = time.Now()
		go func() { got <- s.aCheck(context.Background(), server, key, "1", 90, 0) }()
		synctest.Wait()
		s.Clock().Advance(90 * time.Second)
		<-got
		if time.Since(start) != 0 {
			t.Fatalf("advance did not end the wait: %v", time.Since(start))
		}
		// A canceled request answers nothing and stops holding.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { got <- s.aCheck(ctx, server, key, "1", 90, 0) }()
		synctest.Wait()
		cancel()
		if b := <-got; b != nil || s.LongPoll().Waiting() != 0 {
			t.Fatalf("%s %d", b, s.LongPoll().Waiting())
		}
	})
}

func TestLongPollHistoryBytesBound(t *testing.T) {
	s := MustNew()
	s.LongPoll().SetConfig(LongPollConfig{HistoryBytes: 4096})
	for range 200 {
		if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: strings.Repeat("x", 500)}); err != nil {
			t.Fatal(err)
		}
	}
	s.lp.mu.Lock()
	g := s.lp.groups[DefaultGroupID]
	kept, bytes := len(g.hist)-g.head, g.histBytes
	s.lp.mu.Unlock()
	if bytes > 4096 || kept < 1 || kept > 5 {
		t.Fatalf("kept %d events, %d bytes", kept, bytes)
	}
}

func TestLongPollCommunityAndTotalBounds(t *testing.T) {
	s := MustNew()
	s.LongPoll().SetConfig(LongPollConfig{Communities: 3, TotalBytes: 8192}) // the seeded community holds one
	for _, g := range []int64{1, 2} {
		if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: g, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: 3, Enabled: true}); err == nil {
		t.Fatal("a third community accepted")
	}
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: 3, Text: "x"}); err == nil {
		t.Fatal("an event of a third community accepted")
	}
	if ls := s.LongPoll().Settings(3); ls.Enabled || ls.GroupID != 3 {
		t.Fatalf("reading settings made state: %+v", ls)
	}
	for i := range 100 {
		if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: int64(1 + i%2), Text: strings.Repeat("y", 300)}); err != nil {
			t.Fatal(err)
		}
	}
	s.lp.mu.Lock()
	total, sum := s.lp.bytes, 0
	for _, g := range s.lp.groups {
		sum += g.histBytes
	}
	s.lp.mu.Unlock()
	if total > 8192 || total != sum || total == 0 {
		t.Fatalf("total %d, sum of communities %d", total, sum)
	}
}
