package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
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
	if len(s.LongPoll().Events()) != 0 || !reflect.DeepEqual(s.LongPoll().Settings(DefaultGroupID), longpoll.BotSettings(DefaultGroupID)) {
		t.Fatal("Reset kept Long Poll state")
	}
}
