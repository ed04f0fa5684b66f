package vkmock

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// FuzzUserLongPollCheck: any path and query of the User Long Poll endpoint
// gets a JSON answer with updates or failed, never a panic or another
// status.
func FuzzUserLongPollCheck(f *testing.F) {
	s := MustNew(WithRateLimits(false))
	f.Cleanup(s.Close)
	user := s.Tokens().Of(TokenUser)
	key, _, _ := s.ulp.Key(user.UserID)
	if err := s.UserLongPoll().Inject(UserUpdate{UserID: user.UserID, Update: []json.RawMessage{json.RawMessage("8"), json.RawMessage("-7"), json.RawMessage("4")}}); err != nil {
		f.Fatal(err)
	}
	uid := strconv.FormatInt(user.UserID, 10)
	f.Add(uid, "act=a_check&key="+key+"&ts=0&wait=0&mode=32&version=3")
	f.Add(uid, "act=a_check&key="+key+"&ts=1&wait=25&version=99")
	f.Add(uid, "act=a_check&key="+key+"&ts=-5&wait=999999999999999999999&mode=-1")
	f.Add("1", "act=a_check&key="+key+"&ts=%zz")
	f.Add(uid, "act=nope")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, server, query string) {
		r := httptest.NewRequest(http.MethodGet, "/im/u0", nil).WithContext(ctx)
		r.URL.Path, r.URL.RawQuery = "/im/u"+server, query
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Body.Len() == 0 {
			return // a wait cut short by the canceled context
		}
		if w.Code != http.StatusOK && w.Code != http.StatusNotFound {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var a struct {
			Failed  *int              `json:"failed"`
			Updates []json.RawMessage `json:"updates"`
			Error   json.RawMessage   `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || (a.Failed == nil && a.Updates == nil && a.Error == nil) {
			t.Fatalf("%d %s: %v", w.Code, w.Body, err)
		}
	})
}

// FuzzUserLongPollHistory: any query of messages.getLongPollHistory gets
// a VK envelope (a history or an error), never a panic.
func FuzzUserLongPollHistory(f *testing.F) {
	s := MustNew(WithRateLimits(false))
	f.Cleanup(s.Close)
	user := s.Tokens().Of(TokenUser)
	s.ulp.Listen(user.UserID)
	for i := range 5 {
		s.world.UserMessageUpdate(user.UserID, Message{ID: int64(i + 1), FromID: WorldFriendID, PeerID: user.UserID, Date: 1, Message: "m"}, 4)
		_ = s.ulp.Update(user.UserID, []any{63, WorldFriendID, []int64{WorldFriendID}, 1, 1}, nil, false)
	}
	f.Add("pts=0&lp_version=19&credentials=1&fields=sex")
	f.Add("ts=3&events_limit=1000&msgs_limit=200")
	f.Add("pts=99999999999999999999&events_limit=-1")
	f.Add("ts=-1&pts=x&msgs_limit=999999999")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/method/messages.getLongPollHistory", nil)
		r.URL.RawQuery = query + "&v=5.199&access_token=" + user.Token
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var env struct {
			Response json.RawMessage `json:"response"`
			Error    json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || (env.Response == nil && env.Error == nil) {
			t.Fatalf("%d %s: %v", w.Code, w.Body, err)
		}
	})
}
