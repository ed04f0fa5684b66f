package vkmock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
)

// lpServer is a groups.getLongPollServer answer.
type lpServer struct {
	Key    string `json:"key"`
	Server string `json:"server"`
	TS     string `json:"ts"`
}

func enableLongPoll(t *testing.T, s *Server, params ...string) {
	t.Helper()
	v := vals("group_id", strconv.FormatInt(DefaultGroupID, 10), "enabled", "1", "message_new", "1", "message_reply", "1",
		"message_edit", "1", "message_event", "1", "wall_post_new", "1", "group_join", "1", "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199")
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	a := call(t, s, "groups.setLongPollSettings", v)
	if a.code() != 0 || string(a.raw["response"]) != "1" {
		t.Fatalf("setLongPollSettings: %s", a.body)
	}
}

func getServer(t *testing.T, s *Server, token string) lpServer {
	t.Helper()
	a := call(t, s, "groups.getLongPollServer", vals("group_id", strconv.FormatInt(DefaultGroupID, 10), "access_token", token, "v", "5.199"))
	var r lpServer
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &r) != nil {
		t.Fatalf("getLongPollServer: %s", a.body)
	}
	return r
}

// check sends an a_check and returns the status and body.
func check(t *testing.T, s *Server, srv lpServer, ts string, wait int) (int, []byte) {
	t.Helper()
	u := srv.Server + "?" + url.Values{"act": {"a_check"}, "key": {srv.Key}, "ts": {ts}, "wait": {strconv.Itoa(wait)}}.Encode()
	resp, err := s.HTTPClient().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading a_check: %v", err)
	}
	return resp.StatusCode, b
}

func mustAnswer(t *testing.T, b []byte) *vkevent.Answer {
	t.Helper()
	a, err := vkevent.DecodeLongPoll(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return a
}

func wantFailed(t *testing.T, b []byte, n int, ts string) {
	t.Helper()
	_, err := vkevent.DecodeLongPoll(b)
	var lp *vkerr.LongPollError
	if !errors.As(err, &lp) || lp.Failed != n || lp.TS != ts {
		t.Fatalf("want failed %d ts %q, got %s (%v)", n, ts, b, err)
	}
}

func TestLongPollDeliversInboxMessages(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if srv.TS != "0" || len(srv.Key) != 40 || srv.Server != s.URL()+"/lp/wh"+strconv.FormatInt(DefaultGroupID, 10) {
		t.Fatalf("server: %+v", srv)
	}
	res, err := s.World().Inbox(InboxMessage{FromID: WorldFriendID, GroupID: DefaultGroupID, Text: "привет", Payload: `{"button":"1"}`})
	if err != nil || res.Event.TS != 1 || res.FromID != WorldFriendID || res.PeerID != -DefaultGroupID {
		t.Fatalf("inbox: %+v %v", res, err)
	}
	_, b := check(t, s, srv, "0", 0)
	a := mustAnswer(t, b)
	if a.TS != "1" || len(a.Events) != 1 {
		t.Fatalf("%s", b)
	}
	e := &a.Events[0]
	f, ok := e.MessageFields()
	if e.Type != vkevent.TypeMessageNew || e.V != "5.199" || e.EventID != res.Event.EventID || len(e.EventID) != 40 || e.GroupID != DefaultGroupID ||
		!ok || f.Text != "привет" || f.FromID != WorldFriendID || f.PeerID != WorldFriendID || f.Payload != `{"button":"1"}` || f.ConversationMessageID != res.ID {
		t.Fatalf("event %+v fields %+v", e, f)
	}
	if o, _ := e.MessageNew(); o.ClientInfo == nil {
		t.Fatal("5.199 shape without client_info")
	}
	_, b = check(t, s, srv, "1", 0)
	if a := mustAnswer(t, b); a.TS != "1" || len(a.Events) != 0 {
		t.Fatalf("nothing new: %s", b)
	}
	// The admin's user token may fetch a server too.
	if srv := getServer(t, s, s.Tokens().Of(TokenUser).Token); srv.TS != "1" {
		t.Fatalf("admin: %+v", srv)
	}
}

func TestLongPollServerErrors(t *testing.T) {
	s := testServer(t)
	gid := strconv.FormatInt(DefaultGroupID, 10)
	tok := s.Tokens().Of(TokenGroup).Token
	if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: DefaultGroupID, Enabled: false}); err != nil {
		t.Fatal(err)
	}
	a := call(t, s, "groups.getLongPollServer", vals("group_id", gid, "access_token", tok, "v", "5.199"))
	wantError(t, a, vkerr.Param, "One of the parameters specified was missing or invalid: longpoll for this group is not enabled")
	enableLongPoll(t, s)
	a = call(t, s, "groups.getLongPollServer", vals("group_id", "5", "access_token", tok, "v", "5.199"))
	wantError(t, a, vkerr.Access, "Access denied: no access to this community")
	other, err := s.Tokens().Create(Token{Kind: TokenUser, UserID: WorldFriendID, AppID: DefaultAppID})
	if err != nil {
		t.Fatal(err)
	}
	a = call(t, s, "groups.getLongPollServer", vals("group_id", gid, "access_token", other.Token, "v", "5.199"))
	wantError(t, a, vkerr.Access, "Access denied: no access to this community")
	if err := s.Tokens().SetState(tok, StateExpired); err != nil {
		t.Fatal(err)
	}
	a = call(t, s, "groups.getLongPollServer", vals("group_id", gid, "access_token", tok, "v", "5.199"))
	wantError(t, a, vkerr.Auth, "User authorization failed: access_token has expired.")
}

func TestLongPollSettingsMethods(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s, "api_version", "5.80", "group_join", "0")
	a := call(t, s, "groups.getLongPollSettings", vals("group_id", strconv.FormatInt(DefaultGroupID, 10), "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199"))
	var got struct {
		IsEnabled  bool           `json:"is_enabled"`
		APIVersion string         `json:"api_version"`
		Events     map[string]int `json:"events"`
	}
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &got) != nil || !got.IsEnabled || got.APIVersion != "5.80" ||
		got.Events["message_new"] != 1 || got.Events["group_join"] != 0 || got.Events["like_add"] != 1 { // the seeded bot's other events stay on
		t.Fatalf("%s", a.body)
	}
	a = call(t, s, "groups.setLongPollSettings", vals("group_id", strconv.FormatInt(DefaultGroupID, 10), "api_version", "five", "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199"))
	if a.code() != vkerr.Param {
		t.Fatalf("bad api_version: %s", a.body)
	}
}

func TestLongPollLegacyShapeAndFilter(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s, "api_version", "5.80", "group_join", "0")
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if _, err := s.LongPoll().Inject(InjectedEvent{Type: vkevent.TypeGroupJoin, GroupID: DefaultGroupID, Object: json.RawMessage(`{"user_id":5,"join_type":"join"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "old"}); err != nil {
		t.Fatal(err)
	}
	_, b := check(t, s, srv, "0", 0)
	a := mustAnswer(t, b)
	if a.TS != "2" || len(a.Events) != 1 || a.Events[0].Type != vkevent.TypeMessageNew || a.Events[0].V != "5.80" {
		t.Fatalf("the filtered group_join must advance ts only: %s", b)
	}
	var raw map[string]any
	if err := json.Unmarshal(a.Events[0].Object, &raw); err != nil || raw["body"] != "old" || raw["user_id"] != 7.0 || raw["message"] != nil {
		t.Fatalf("legacy object: %s", a.Events[0].Object)
	}
	o, err := a.Events[0].MessageNew()
	if err != nil || o.ClientInfo != nil || o.Message.Text != "old" || o.Message.FromID != 7 {
		t.Fatalf("%+v %v", o, err)
	}
}

func TestLongPollFailed2KeyLifetime(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	s.LongPoll().SetConfig(LongPollConfig{KeyLifetime: 10 * time.Minute})
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	s.Clock().Advance(10 * time.Minute)
	_, b := check(t, s, srv, "0", 0)
	wantFailed(t, b, 2, "")
	// A new key, the old ts: nothing is lost.
	srv2 := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	_, b = check(t, s, lpServer{Key: srv2.Key, Server: srv2.Server}, "0", 0)
	if a := mustAnswer(t, b); len(a.Events) != 1 {
		t.Fatalf("%s", b)
	}
	s.LongPoll().Expire(DefaultGroupID)
	_, b = check(t, s, srv2, "1", 0)
	wantFailed(t, b, 2, "")
	_, b = check(t, s, lpServer{Key: "nope", Server: srv2.Server}, "1", 0)
	wantFailed(t, b, 2, "")
}

func TestLongPollFailed1History(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	s.LongPoll().SetConfig(LongPollConfig{HistoryEvents: 3})
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	for i := range 5 {
		if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, b := check(t, s, srv, "0", 0)
	wantFailed(t, b, 1, "5")
	_, b = check(t, s, srv, "9", 0)
	wantFailed(t, b, 1, "5")
	_, b = check(t, s, srv, "x", 0)
	wantFailed(t, b, 1, "5")
	_, b = check(t, s, srv, "2", 0) // the oldest kept is 3
	if a := mustAnswer(t, b); a.TS != "5" || len(a.Events) != 3 {
		t.Fatalf("%s", b)
	}
}

func TestLongPollFailed3LosesEvents(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	inbox := func(text string) {
		if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	inbox("1")
	_, b := check(t, s, srv, "0", 0)
	if a := mustAnswer(t, b); a.TS != "1" {
		t.Fatalf("%s", b)
	}
	inbox("2")
	inbox("3")
	s.LongPoll().Lose(DefaultGroupID)
	_, b = check(t, s, srv, "1", 0)
	wantFailed(t, b, 3, "")
	inbox("4") // emitted before the client has its new ts: lost too
	srv = getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if srv.TS != "4" {
		t.Fatalf("new ts %s", srv.TS)
	}
	inbox("5")
	_, b = check(t, s, srv, srv.TS, 0)
	if a := mustAnswer(t, b); len(a.Events) != 1 || a.TS != "5" {
		t.Fatalf("%s", b)
	}
	var lost []int64
	for _, e := range s.LongPoll().Events() {
		if e.Lost {
			lost = append(lost, e.TS)
		}
	}
	if len(lost) != 3 || lost[0] != 2 || lost[2] != 4 {
		t.Fatalf("lost %v", lost)
	}
}

func TestLongPollFaultRules(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "a"}); err != nil {
		t.Fatal(err)
	}
	add := func(f Fault) {
		t.Helper()
		f.Method, f.Times = "longpoll.bots", 1
		if _, err := s.Faults().Add(f); err != nil {
			t.Fatal(err)
		}
	}
	add(Fault{HTTPStatus: 502})
	if code, b := check(t, s, srv, "0", 0); code != 502 || !strings.Contains(string(b), "502 Bad Gateway") {
		t.Fatalf("%d %s", code, b)
	}
	add(Fault{Failed: 1})
	_, b := check(t, s, srv, "0", 0)
	wantFailed(t, b, 1, "2") // a newer ts, as VK's (wire example 15): the event after 0 is lost
	add(Fault{Effect: "truncate"})
	u := srv.Server + "?act=a_check&key=" + srv.Key + "&ts=0&wait=0"
	resp, err := s.HTTPClient().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a truncated body read whole")
	}
	resp.Body.Close()
	add(Fault{Failed: 2})
	_, b = check(t, s, srv, "0", 0)
	wantFailed(t, b, 2, "")
	_, b = check(t, s, srv, "0", 0)
	wantFailed(t, b, 2, "") // the key really expired
	srv = getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	add(Fault{Failed: 3})
	_, b = check(t, s, srv, "0", 0)
	wantFailed(t, b, 3, "")
	if ev := s.LongPoll().Events(); !ev[0].Lost {
		t.Fatalf("failed 3 did not lose: %+v", ev)
	}
	if _, err := s.Faults().Add(Fault{Method: "longpoll.bots", Failed: 100}); err == nil {
		t.Fatal("failed 100 accepted")
	}
}

func TestLongPollWorldEvents(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	gtok := s.Tokens().Of(TokenGroup).Token
	srv := getServer(t, s, gtok)
	// A button press, answered.
	press, err := s.World().PressButton(ButtonPress{UserID: 7, GroupID: DefaultGroupID, Payload: json.RawMessage(`{"cmd":"go"}`), ConversationMessageID: 3})
	if err != nil || len(press.EventID) != 14 {
		t.Fatalf("%+v %v", press, err)
	}
	ans := call(t, s, "messages.sendMessageEventAnswer", vals("event_id", press.EventID, "user_id", "7", "peer_id", "7", "event_data", `{"type":"show_snackbar","text":"ok"}`, "access_token", gtok, "v", "5.199"))
	if ans.code() != 0 || !s.World().ButtonAnswered(press.EventID) {
		t.Fatalf("%s", ans.body)
	}
	ans = call(t, s, "messages.sendMessageEventAnswer", vals("event_id", "ffffffffffffff", "user_id", "7", "peer_id", "7", "access_token", gtok, "v", "5.199"))
	wantError(t, ans, vkerr.Param, "One of the parameters specified was missing or invalid: event_id is invalid")
	// The bot's send (twice with one random_id: one event), edit, and wall post.
	for range 2 {
		if a := call(t, s, "messages.send", vals("peer_id", "7", "message", "hi", "random_id", "42", "access_token", gtok, "v", "5.199")); a.code() != 0 {
			t.Fatalf("%s", a.body)
		}
	}
	msgs := s.World().Messages()
	id := strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
	if a := call(t, s, "messages.edit", vals("peer_id", "7", "message_id", id, "message", "hi!", "access_token", gtok, "v", "5.199")); a.code() != 0 {
		t.Fatalf("%s", a.body)
	}
	if a := call(t, s, "messages.edit", vals("peer_id", "8", "message_id", id, "message", "x", "access_token", gtok, "v", "5.199")); a.code() != vkerr.Param {
		t.Fatalf("edit of a message of another peer: %s", a.body)
	}
	if a := call(t, s, "wall.post", vals("owner_id", strconv.FormatInt(-DefaultGroupID, 10), "from_group", "1", "message", "news", "access_token", s.Tokens().Of(TokenUser).Token, "v", "5.199")); a.code() != 0 {
		t.Fatalf("%s", a.body)
	}
	_, b := check(t, s, srv, "0", 0)
	a := mustAnswer(t, b)
	var types []string
	for _, e := range a.Events {
		types = append(types, string(e.Type))
	}
	if strings.Join(types, ",") != "message_event,message_reply,message_edit,wall_post_new" {
		t.Fatalf("%v\n%s", types, b)
	}
	me, _ := a.Events[0].MessageEvent()
	if me.Payload != `{"cmd":"go"}` || me.UserID != 7 || me.ConversationMessageID != 3 {
		t.Fatalf("%+v", me)
	}
	if f, _ := a.Events[2].MessageFields(); f.Text != "hi!" || f.FromID != -DefaultGroupID || f.PeerID != 7 {
		t.Fatalf("edit %+v", f)
	}
	if p, _ := a.Events[3].WallPostNew(); p.Text != "news" || p.OwnerID != -DefaultGroupID || p.FromID != -DefaultGroupID {
		t.Fatalf("post %+v", p)
	}
	for _, e := range a.Events {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
	}
}

// TestLongPollForcedFailed1NewerTS: a failed 1 of a fault rule carries a
// ts newer than the client's, as a number (wire example 15), so a client
// that continues with it does not spin; the events it skipped are lost.
func TestLongPollForcedFailed1NewerTS(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if _, err := s.Faults().Add(Fault{Method: "longpoll.bots", Failed: 1, Times: 1}); err != nil {
		t.Fatal(err)
	}
	_, b := check(t, s, srv, srv.TS, 0)
	sameShape(t, wireBody(t, "15-bots-lp-failed1-ts-number.json"), b)
	wantFailed(t, b, 1, "1")
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "after"}); err != nil {
		t.Fatal(err)
	}
	_, b = check(t, s, srv, "1", 0)
	if a := mustAnswer(t, b); a.TS != "2" || len(a.Events) != 1 {
		t.Fatalf("after the new ts: %s", b)
	}
	if ev := s.LongPoll().Events(); len(ev) != 1 || ev[0].Lost || ev[0].TS != 2 {
		t.Fatalf("events %+v", ev)
	}
}

// TestLongPollBodiesEndCRLF: a_check bodies end with \r\n as VK's do
// (wire example 04), and the updates answer has the real body's fields.
func TestLongPollBodiesEndCRLF(t *testing.T) {
	s := testServer(t)
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	_, b := check(t, s, srv, srv.TS, 0)
	if !strings.HasSuffix(string(b), "}\r\n") {
		t.Fatalf("empty answer %q", b)
	}
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	_, b = check(t, s, srv, srv.TS, 0)
	if !strings.HasSuffix(string(b), "]}\r\n") {
		t.Fatalf("updates answer %q", b)
	}
	real := wireBody(t, "04-bots-lp-updates-message-new-clientinfo-crlf.json")
	if !strings.HasSuffix(string(real), "]}\r\n") {
		t.Fatal("wire example 04 lost its CRLF")
	}
	// The message's own fields are the world's; the envelope and
	// client_info are VK's.
	sameShape(t, real, b, "message")
	sameShape(t, wireBody(t, "10-bots-lp-updates-v5.131-from-repr.json"), b, "message")
	_, b = check(t, s, lpServer{Key: "nope", Server: srv.Server}, "1", 0)
	if !strings.HasSuffix(string(b), "}\r\n") {
		t.Fatalf("failed answer %q", b)
	}
}

// TestLongPollStall: a fault effect "stall" holds an a_check (and an
// upload POST) with no answer until the client gives up, and the server's
// Close ends it.
func TestLongPollStall(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	enableLongPoll(t, s)
	srv := getServer(t, s, s.Tokens().Of(TokenGroup).Token)
	if _, err := s.Faults().Add(Fault{Method: "users.get", Effect: "stall"}); err == nil {
		t.Fatal("stall accepted for an API method")
	}
	for _, m := range []string{"longpoll.bots", "upload.*"} {
		if _, err := s.Faults().Add(Fault{Method: m, Effect: "stall", Times: 1}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.Server+"?act=a_check&key="+srv.Key+"&ts=0&wait=0", nil)
	if resp, err := s.HTTPClient().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a stalled a_check answered %d", resp.StatusCode)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled a_check: %v", err)
	}
	// The next a_check is answered (wait=0: at once).
	if _, b := check(t, s, srv, "0", 0); !strings.HasSuffix(string(b), "\r\n") {
		t.Fatalf("after the stall: %q", b)
	}
	// An upload POST stalls until the server closes.
	u := uploadURLOf(t, s, s.Tokens().Of(TokenUser).Token, "docs.getUploadServer", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := s.HTTPClient().Post(u, "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n"))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if err := s.Faults().Wait(t.Context(), "f2", 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Fatal("a stalled upload answered")
	}
}
