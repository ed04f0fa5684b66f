package vkmock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/userlp"
)

// ulpHistory is one getLongPollHistory answer.
type ulpHistory struct {
	History  [][]json.RawMessage `json:"history"`
	Messages struct {
		Count int                          `json:"count"`
		Items []map[string]json.RawMessage `json:"items"`
	} `json:"messages"`
	Profiles    []map[string]json.RawMessage `json:"profiles"`
	Groups      []map[string]json.RawMessage `json:"groups"`
	FromPTS     int64                        `json:"from_pts"`
	NewPTS      int64                        `json:"new_pts"`
	More        *int                         `json:"more"`
	Credentials *userLPServer                `json:"credentials"`
}

func history(t *testing.T, s *Server, kv ...string) ulpHistory {
	t.Helper()
	kv = append(kv, "access_token", s.Tokens().Of(TokenUser).Token, "v", "5.199")
	a := call(t, s, "messages.getLongPollHistory", vals(kv...))
	var h ulpHistory
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &h) != nil {
		t.Fatalf("getLongPollHistory: %s", a.body)
	}
	return h
}

func inject(t *testing.T, s *Server, els ...string) {
	t.Helper()
	up := UserUpdate{UserID: DefaultUserID}
	for _, e := range els {
		up.Update = append(up.Update, json.RawMessage(e))
	}
	if err := s.UserLongPoll().Inject(up); err != nil {
		t.Fatal(err)
	}
}

func code(ev []json.RawMessage) int {
	n, _ := strconv.Atoi(string(ev[0]))
	return n
}

// TestUserLongPollHistoryLimits: events_limit (minimum and default 1000)
// and msgs_limit (minimum and default 200) as the schema has them, more=1
// while more remain, new_pts the pts after the page, and no typing or
// presence in the history.
func TestUserLongPollHistoryLimits(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	const flags, msgs = 1100, 250
	for i := range flags {
		inject(t, s, "2", strconv.Itoa(i+1), "1", "7")
		if i%100 == 0 { // typing and presence: in the stream, not in the history
			inject(t, s, "63", "7", "[7]", "1", "0")
			inject(t, s, "8", "-7", "7", "0")
		}
	}
	for i := range msgs {
		s.world.UserMessageUpdate(DefaultUserID, Message{ID: int64(5000 + i), FromID: WorldFriendID, PeerID: DefaultUserID, Date: 1, Message: "m"}, 4)
	}
	pts := strconv.FormatInt(srv.PTS, 10)
	// events_limit below its minimum is refused, as the schema says.
	wantError(t, call(t, s, "messages.getLongPollHistory", vals("pts", pts, "events_limit", "999", "access_token", s.Tokens().Of(TokenUser).Token, "v", "5.199")), vkerr.Param, "")
	h := history(t, s, "pts", pts)
	if len(h.History) != DefaultHistoryEventsLimit || h.More == nil || *h.More != 1 || h.NewPTS != srv.PTS+DefaultHistoryEventsLimit || h.FromPTS != srv.PTS {
		t.Fatalf("first page: %d events, more %v, new_pts %d (from %d)", len(h.History), h.More, h.NewPTS, srv.PTS)
	}
	if h.Credentials != nil {
		t.Fatal("credentials on a page with more")
	}
	total, pages := 0, 0
	var msgPages []int
	cur := srv.PTS
	for {
		h := history(t, s, "pts", strconv.FormatInt(cur, 10), "events_limit", "1000", "msgs_limit", "200", "credentials", "1")
		pages++
		for _, ev := range h.History {
			if c := code(ev); userlp.Transient(c) {
				t.Fatalf("update %d in the history", c)
			}
		}
		if h.Messages.Count != len(h.Messages.Items) || h.Messages.Count > DefaultHistoryMsgsLimit || len(h.History) > DefaultHistoryEventsLimit {
			t.Fatalf("page of %d events, %d of %d messages", len(h.History), len(h.Messages.Items), h.Messages.Count)
		}
		if h.Messages.Count > 0 {
			msgPages = append(msgPages, h.Messages.Count)
		}
		total += len(h.History)
		if h.NewPTS != cur+int64(len(h.History)) {
			t.Fatalf("new_pts %d after %d events from %d", h.NewPTS, len(h.History), cur)
		}
		cur = h.NewPTS
		if h.More == nil {
			if h.Credentials == nil || h.Credentials.Key == "" || h.Credentials.PTS != cur {
				t.Fatalf("last page's credentials: %+v", h.Credentials)
			}
			// The credentials' ts is where the stream goes on: nothing after.
			if b := userCheck(t, s, *h.Credentials, h.Credentials.TS, ""); b != `{"ts":`+strconv.FormatInt(h.Credentials.TS, 10)+`,"updates":[]}` {
				t.Fatalf("a_check from the credentials: %s", b)
			}
			break
		}
	}
	if total != flags+msgs || !reflect.DeepEqual(msgPages, []int{200, 50}) {
		t.Fatalf("%d events in %d pages, messages per page %v", total, pages, msgPages)
	}

	// Short pages (for tests of clients).
	s.UserLongPoll().SetConfig(UserLongPollConfig{PageEvents: 7, PageMsgs: 3})
	if h := history(t, s, "pts", pts); len(h.History) != 7 || h.More == nil {
		t.Fatalf("short page: %d events", len(h.History))
	}
	if h := history(t, s, "pts", strconv.FormatInt(cur-msgs, 10)); len(h.History) != 3 || h.Messages.Count != 3 || h.More == nil {
		t.Fatalf("short message page: %d events, %d messages", len(h.History), h.Messages.Count)
	}
	wantError(t, call(t, s, "messages.getLongPollHistory", vals("pts", pts, "events_limit", "x", "access_token", s.Tokens().Of(TokenUser).Token, "v", "5.199")), vkerr.Param, "")
}

// TestUserLongPollHistoryMessages: the messages the events refer to, once
// each, with the profiles and groups of their parties in the fields
// asked (the schema's defaults without fields).
func TestUserLongPollHistoryMessages(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	if _, err := s.World().Inbox(InboxMessage{FromID: DefaultUserID, GroupID: DefaultGroupID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	m := Message{ID: 900, FromID: WorldFriendID, PeerID: DefaultUserID, Date: 1, Message: "a"}
	s.world.UserMessageUpdate(DefaultUserID, m, 4)
	m.Message = "b"
	s.world.UserMessageUpdate(DefaultUserID, m, 5)
	h := history(t, s, "pts", strconv.FormatInt(srv.PTS, 10))
	if len(h.History) != 3 || h.Messages.Count != 2 || h.More != nil || h.NewPTS != srv.PTS+3 {
		t.Fatalf("history: %+v", h)
	}
	if string(h.Messages.Items[1]["id"]) != "900" || string(h.Messages.Items[1]["text"]) != `"a"` {
		t.Fatalf("items %v", h.Messages.Items)
	}
	var ids []string
	for _, p := range h.Profiles {
		ids = append(ids, string(p["id"]))
		if _, ok := p["screen_name"]; !ok {
			t.Fatalf("profile without the default fields: %v", p)
		}
	}
	sort.Strings(ids)
	if want := []string{strconv.FormatInt(DefaultUserID, 10), strconv.FormatInt(WorldFriendID, 10)}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("profiles %v, want %v", ids, want)
	}
	if len(h.Groups) != 1 || string(h.Groups[0]["id"]) != strconv.FormatInt(DefaultGroupID, 10) {
		t.Fatalf("groups %v", h.Groups)
	}
	h = history(t, s, "pts", strconv.FormatInt(srv.PTS, 10), "fields", "sex")
	for _, p := range h.Profiles {
		if _, ok := p["sex"]; !ok || p["screen_name"] != nil {
			t.Fatalf("profile with fields=sex: %v", p)
		}
	}
}

// TestUserLongPollHistoryErrors: 907 for a pts (or ts) older than the
// history kept, 908 for one past the user's.
func TestUserLongPollHistoryErrors(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	s.LongPoll().SetConfig(LongPollConfig{HistoryEvents: 20})
	srv := userLP(t, s)
	for i := range 30 {
		inject(t, s, "2", strconv.Itoa(i+1), "1", "7")
	}
	tok := s.Tokens().Of(TokenUser).Token
	for _, c := range []struct {
		k, v string
		code vkerr.Code
	}{
		{"pts", strconv.FormatInt(srv.PTS, 10), vkerr.MessagesTooOldPts},
		{"ts", strconv.FormatInt(srv.TS, 10), vkerr.MessagesTooOldPts},
		{"pts", strconv.FormatInt(srv.PTS+31, 10), vkerr.MessagesTooNewPts},
		{"ts", strconv.FormatInt(srv.TS+31, 10), vkerr.MessagesTooNewPts},
	} {
		wantError(t, call(t, s, "messages.getLongPollHistory", vals(c.k, c.v, "access_token", tok, "v", "5.199")), c.code, "")
	}
	if h := history(t, s, "pts", strconv.FormatInt(srv.PTS+10, 10)); len(h.History) != 20 || h.NewPTS != srv.PTS+30 {
		t.Fatalf("the oldest kept: %d events, new_pts %d", len(h.History), h.NewPTS)
	}
	if h := history(t, s, "ts", strconv.FormatInt(srv.TS+25, 10)); len(h.History) != 5 || h.FromPTS != srv.PTS+25 {
		t.Fatalf("by ts: %d events from pts %d", len(h.History), h.FromPTS)
	}
}

// TestUserLongPollTSWindow: failed 1 for a ts more than 256 events
// behind or ahead (configurable); a ts within the window is answered.
func TestUserLongPollTSWindow(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	for i := range 300 {
		inject(t, s, "2", strconv.Itoa(i+1), "1", "7")
	}
	now := srv.TS + 300
	failed1 := `{"failed":1,"ts":` + strconv.FormatInt(now, 10) + `}`
	if b := userCheck(t, s, srv, now-257, ""); b != failed1 {
		t.Fatalf("257 behind: %s", b)
	}
	if b := userCheck(t, s, srv, now-256, ""); !strings.HasPrefix(b, `{"ts":`+strconv.FormatInt(now-156, 10)+`,"updates":[[2,45,`) {
		t.Fatalf("256 behind: %.80s", b)
	}
	if b := userCheck(t, s, srv, now+257, ""); b != failed1 {
		t.Fatalf("257 ahead: %s", b)
	}
	if b := userCheck(t, s, srv, now+256, ""); b != `{"ts":`+strconv.FormatInt(now+256, 10)+`,"updates":[]}` {
		t.Fatalf("256 ahead: %s", b)
	}
	// A forced failed 1 (a fault rule) carries the current ts, as VK's.
	if _, err := s.Faults().Add(Fault{Method: "longpoll.user", Failed: 1, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if b := userCheck(t, s, srv, now-100, ""); b != failed1 {
		t.Fatalf("forced failed 1: %s", b)
	}
	resp, err := http.Post(s.URL()+"/__vkmock/userlp/config", "application/json", strings.NewReader(`{"ts_window":10}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(bytes.TrimSpace(b)) != `{"ts_window":10}` {
		t.Fatalf("POST /__vkmock/userlp/config: %d %s", resp.StatusCode, b)
	}
	if b := userCheck(t, s, srv, now-11, ""); b != failed1 {
		t.Fatalf("11 behind, window 10: %s", b)
	}
}

// TestUserLongPollFailed2Text: an expired key's failed 2 carries VK's
// error text (wire-examples/34), field by field.
func TestUserLongPollFailed2Text(t *testing.T) {
	s := testServer(t)
	srv := userLP(t, s)
	s.Clock().Advance(DefaultLongPollKeyLifetime + 5*time.Second)
	real, err := os.ReadFile("testdata/wire/34-user-lp-failed2-key-expired-error.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	b := userCheck(t, s, srv, srv.TS, "")
	if json.Unmarshal(real, &want) != nil || json.Unmarshal([]byte(b), &got) != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s, want %s", b, real)
	}
}
