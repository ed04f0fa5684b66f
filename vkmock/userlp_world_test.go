package vkmock

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/userlp"
)

// ulpClient is one user's User Long Poll session in a test.
type ulpClient struct {
	t     *testing.T
	s     *Server
	token string
	srv   userLPServer
	ts    int64
}

func newULPClient(t *testing.T, s *Server, token string) *ulpClient {
	t.Helper()
	a := call(t, s, "messages.getLongPollServer", vals("lp_version", "3", "need_pts", "1", "access_token", token, "v", "5.199"))
	var srv userLPServer
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &srv) != nil {
		t.Fatalf("getLongPollServer: %s", a.body)
	}
	return &ulpClient{t: t, s: s, token: token, srv: srv, ts: srv.TS}
}

// next returns the updates since the last call, as compact JSON arrays.
func (c *ulpClient) next() []string {
	c.t.Helper()
	body := userCheck(c.t, c.s, c.srv, c.ts, "&version=3&mode=234") // every mode field
	var ans struct {
		TS      int64             `json:"ts"`
		Updates []json.RawMessage `json:"updates"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.Updates == nil {
		c.t.Fatalf("a_check: %s", body)
	}
	c.ts = ans.TS
	out := make([]string, len(ans.Updates))
	for i, u := range ans.Updates {
		out[i] = string(u)
	}
	return out
}

// want checks the updates since the last call.
func (c *ulpClient) want(what string, updates ...string) {
	c.t.Helper()
	if got := c.next(); strings.Join(got, " ") != strings.Join(updates, " ") {
		c.t.Fatalf("%s: updates %v, want %v", what, got, updates)
	}
}

func (c *ulpClient) call(method string, kv ...string) *answer {
	c.t.Helper()
	a := call(c.t, c.s, method, vals(append([]string{"access_token", c.token, "v", "5.199"}, kv...)...))
	if a.code() != 0 {
		c.t.Fatalf("%s: %s", method, a.body)
	}
	return a
}

func friendToken(t *testing.T, s *Server) string {
	t.Helper()
	tok := s.Tokens().Of(TokenUser)
	tok.Token, tok.UserID = "", WorldFriendID
	tok, err := s.Tokens().Create(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// Every world action between two users is the User Long Poll update VK
// sends to each side.
func TestUserLongPollWorldActionsBetweenUsers(t *testing.T) {
	s := testServer(t, WithClock(newFakeClock().Now))
	s.SetRateLimits(false)
	me := newULPClient(t, s, s.Tokens().Of(TokenUser).Token)
	friend := newULPClient(t, s, friendToken(t, s))
	now := s.now().Unix()
	u, f := DefaultUserID, WorldFriendID

	a := me.call("messages.send", "peer_id", fmt.Sprint(f), "message", "hi", "random_id", "7")
	id, _ := strconv.ParseInt(string(a.raw["response"]), 10, 64)
	me.want("send, sender", fmt.Sprintf(`[4,%d,2,%d,%d,"hi",{},{},7]`, id, f, now))
	friend.want("send, peer", fmt.Sprintf(`[4,%d,1,%d,%d,"hi",{},{},7]`, id, u, now))
	me.call("messages.send", "peer_id", fmt.Sprint(f), "message", "hi", "random_id", "7")
	friend.want("a resend of the random_id")

	friend.call("messages.markAsRead", "peer_id", fmt.Sprint(u))
	friend.want("read, reader", fmt.Sprintf(`[6,%d,%d]`, u, id))
	me.want("read, sender", fmt.Sprintf(`[7,%d,%d]`, f, id))

	if a := me.call("messages.markAsImportant", "message_ids", fmt.Sprint(id), "important", "1"); string(a.raw["response"]) != fmt.Sprintf("[%d]", id) {
		t.Fatalf("markAsImportant: %s", a.body)
	}
	me.want("important", fmt.Sprintf(`[2,%d,8,%d]`, id, f))
	me.call("messages.markAsImportant", "message_ids", fmt.Sprint(id), "important", "0")
	me.want("not important", fmt.Sprintf(`[3,%d,8,%d]`, id, f))
	friend.want("the other's flags")

	for code, typ := range map[int]string{63: "typing", 64: "audiomessage", 67: "file"} {
		me.call("messages.setActivity", "peer_id", fmt.Sprint(f), "type", typ)
		friend.want(typ, fmt.Sprintf(`[%d,%d,[%d],1,%d]`, code, u, u, now))
	}

	me.call("account.setOnline")
	friend.want("online", fmt.Sprintf(`[8,%d,7,%d]`, -u, now))
	me.call("account.setOnline")
	friend.want("online again: no change")
	me.call("account.setOffline")
	friend.want("offline", fmt.Sprintf(`[9,%d,0,%d]`, -u, now))
	me.want("one's own presence")

	// Only the sender deletes for everybody.
	a = friend.call("messages.delete", "message_ids", fmt.Sprint(id), "delete_for_all", "1")
	var items []struct {
		OK    int `json:"response"`
		Error *struct {
			Code vkerr.Code `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(a.raw["response"], &items) != nil || len(items) != 1 || items[0].OK != 0 || items[0].Error == nil || items[0].Error.Code != vkerr.MessagesCantDeleteForAll {
		t.Fatalf("delete for all by the peer: %s", a.body)
	}
	a = me.call("messages.delete", "message_ids", fmt.Sprint(id), "delete_for_all", "1")
	items = nil
	if json.Unmarshal(a.raw["response"], &items) != nil || len(items) != 1 || items[0].OK != 1 || items[0].Error != nil {
		t.Fatalf("delete for all: %s", a.body)
	}
	me.want("deleted, sender", fmt.Sprintf(`[2,%d,131200,%d]`, id, f))
	friend.want("deleted, peer", fmt.Sprintf(`[2,%d,131200,%d]`, id, u))
	wantError(t, call(t, s, "messages.edit", vals("peer_id", fmt.Sprint(f), "message_id", fmt.Sprint(id), "message", "x", "access_token", me.token, "v", "5.199")), vkerr.Param, "")
	a = me.call("messages.delete", "message_ids", fmt.Sprint(id))
	items = nil
	if json.Unmarshal(a.raw["response"], &items) != nil || items[0].OK != 0 || items[0].Error == nil || items[0].Error.Code != vkerr.Param {
		t.Fatalf("a deleted message deleted again: %s", a.body)
	}

	// Deleting for oneself tells only oneself.
	a = friend.call("messages.send", "peer_id", fmt.Sprint(u), "message", "again")
	id2, _ := strconv.ParseInt(string(a.raw["response"]), 10, 64)
	me.next()
	friend.next()
	me.call("messages.delete", "message_ids", fmt.Sprint(id2))
	me.want("deleted for me", fmt.Sprintf(`[2,%d,128,%d]`, id2, f))
	friend.want("deleted for the other")

	// The history has them all, in order.
	h := me.call("messages.getLongPollHistory", "pts", strconv.FormatInt(me.srv.PTS, 10))
	var hist struct {
		History []json.RawMessage `json:"history"`
	}
	if json.Unmarshal(h.raw["response"], &hist) != nil || len(hist.History) != 7 {
		t.Fatalf("history: %s", h.body)
	}
}

// A user's actions toward a community are the community's events, and the
// community's are the user's updates.
func TestUserLongPollWorldActionsWithCommunity(t *testing.T) {
	s := testServer(t, WithClock(newFakeClock().Now))
	s.SetRateLimits(false)
	me := newULPClient(t, s, s.Tokens().Of(TokenUser).Token)
	group := s.Tokens().Of(TokenGroup).Token
	u, g := DefaultUserID, -DefaultGroupID
	now := s.now().Unix()
	events := func() []vkevent.Type {
		var out []vkevent.Type
		for _, e := range s.LongPoll().Events() {
			out = append(out, e.Type)
		}
		return out
	}

	a := me.call("messages.send", "peer_id", fmt.Sprint(g), "message", "to the bot", "random_id", "1")
	id, _ := strconv.ParseInt(string(a.raw["response"]), 10, 64)
	me.want("a message to a community", fmt.Sprintf(`[4,%d,2,%d,%d,"to the bot",{},{},1]`, id, g, now))
	a = call(t, s, "messages.send", vals("peer_id", fmt.Sprint(u), "message", "reply", "random_id", "2", "access_token", group, "v", "5.199"))
	reply, _ := strconv.ParseInt(string(a.raw["response"]), 10, 64)
	me.want("the reply", fmt.Sprintf(`[4,%d,1,%d,%d,"reply",{},{},2]`, reply, g, now))
	call(t, s, "messages.edit", vals("peer_id", fmt.Sprint(u), "message_id", fmt.Sprint(reply), "message", "edited", "access_token", group, "v", "5.199"))
	me.want("the community's edit", fmt.Sprintf(`[5,%d,0,%d,%d,"edited",{},{},2]`, reply, g, now))

	me.call("messages.markAsRead", "peer_id", fmt.Sprint(g))
	me.want("read", fmt.Sprintf(`[6,%d,%d]`, g, reply))
	call(t, s, "messages.markAsRead", vals("peer_id", fmt.Sprint(u), "access_token", group, "v", "5.199"))
	me.want("read by the community", fmt.Sprintf(`[7,%d,%d]`, g, id))
	me.call("messages.setActivity", "peer_id", fmt.Sprint(g), "type", "typing")
	call(t, s, "messages.setActivity", vals("peer_id", fmt.Sprint(u), "type", "typing", "access_token", group, "v", "5.199"))
	me.want("the community typing", fmt.Sprintf(`[63,%d,[%d],1,%d]`, g, g, now))

	got := events()
	want := []vkevent.Type{vkevent.TypeMessageNew, vkevent.TypeMessageReply, vkevent.TypeMessageEdit, vkevent.TypeMessageRead, vkevent.TypeMessageTypingState}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("community events %v, want %v", got, want)
	}
	evs := s.LongPoll().Events()
	var read, typing map[string]any
	_ = json.Unmarshal(eventObject(t, s, evs[3]), &read)
	_ = json.Unmarshal(eventObject(t, s, evs[4]), &typing)
	if read["from_id"] != float64(u) || read["read_message_id"] != float64(reply) || typing["from_id"] != float64(u) || typing["to_id"] != float64(g) || typing["state"] != "typing" {
		t.Fatalf("objects: %v %v", read, typing)
	}
}

// Users nobody listens to get no state; the state of users, their keys and
// their histories are bounded by LongPollConfig.
func TestUserLongPollStoresAreBounded(t *testing.T) {
	s := testServer(t, WithClock(newFakeClock().Now))
	s.SetRateLimits(false)
	group := s.Tokens().Of(TokenGroup).Token
	for i := range 50 {
		call(t, s, "messages.send", vals("peer_id", strconv.Itoa(1000+i), "message", "x", "random_id", strconv.Itoa(i+1), "access_token", group, "v", "5.199"))
	}
	if n := s.ulp.Users(); n != 0 {
		t.Fatalf("%d users with state, none listening", n)
	}

	if code, _ := controlRaw(s, "POST", "/__vkmock/longpoll", `{"users":-1}`); code != 400 {
		t.Fatalf("a negative users: %d", code)
	}
	var cfg longPollConfigBody
	if code := controlCall(t, s, "POST", "/__vkmock/longpoll", map[string]any{"users": 2, "history_events": 3, "max_updates": 2}, &cfg); code != 200 || cfg.Users != 2 || cfg.HistoryEvents != 3 {
		t.Fatalf("config: %d %+v", code, cfg)
	}
	user := func(id int64) *ulpClient {
		tok := s.Tokens().Of(TokenUser)
		tok.Token, tok.UserID = "", id
		tok, err := s.Tokens().Create(tok)
		if err != nil {
			t.Fatal(err)
		}
		return newULPClient(t, s, tok.Token)
	}
	first := user(501)
	s.Clock().Advance(time.Second)
	second := user(502)
	s.Clock().Advance(time.Second)
	first.want("501 polls: it is not idle")
	s.Clock().Advance(time.Second)
	third := user(503) // forgets the user idle the longest: 502, not 501
	if b := userCheck(t, s, second.srv, second.ts, ""); b != `{"failed":2,"error":"Key validation failed: Key is invalid"}` {
		t.Fatalf("a forgotten user's key: %s", b)
	}
	first.want("501 is kept")
	second = third
	for i := range 5 {
		if err := s.UserLongPoll().Inject(UserUpdate{UserID: 503, Update: []json.RawMessage{json.RawMessage("80"), json.RawMessage(strconv.Itoa(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if b := userCheck(t, s, second.srv, second.ts, ""); !strings.HasPrefix(b, `{"failed":1,`) {
		t.Fatalf("a ts older than the 3 kept updates: %s", b)
	}
	a := call(t, s, "messages.getLongPollHistory", vals("pts", strconv.FormatInt(second.srv.PTS, 10), "access_token", second.token, "v", "5.199"))
	wantError(t, a, vkerr.MessagesTooOldPts, "")
	second.ts += 2
	second.want("the kept updates, MaxUpdates at a time", "[80,2]", "[80,3]")
	second.want("the rest", "[80,4]")

	// A user's keys beyond maxKeysPerUser retire the oldest.
	keys := []*ulpClient{second}
	for range userlp.MaxKeysPerUser {
		keys = append(keys, newULPClient(t, s, second.token))
	}
	if b := userCheck(t, s, keys[0].srv, keys[0].ts, ""); b != `{"failed":2,"error":"Key validation failed: Key is invalid"}` {
		t.Fatalf("the retired key: %s", b)
	}
	if b := userCheck(t, s, keys[1].srv, keys[1].ts, ""); !strings.Contains(b, `"updates":[]`) {
		t.Fatalf("a live key: %s", b)
	}
}

// eventObject is the object of an emitted event, from the community's
// Long Poll history.
func eventObject(t *testing.T, s *Server, ev EmittedEvent) []byte {
	t.Helper()
	if obj, ok := s.lp.Object(ev.GroupID, ev.TS); ok {
		return obj
	}
	t.Fatalf("event %+v is not kept", ev)
	return nil
}
