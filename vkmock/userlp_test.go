package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

type userLPServer struct {
	Key    string `json:"key"`
	Server string `json:"server"`
	TS     int64  `json:"ts"`
	PTS    int64  `json:"pts"`
}

func userLP(t *testing.T, s *Server) userLPServer {
	t.Helper()
	a := call(t, s, "messages.getLongPollServer", vals("lp_version", "3", "need_pts", "1", "access_token", s.Token(TokenUser).Token, "v", "5.199"))
	var r userLPServer
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &r) != nil {
		t.Fatalf("getLongPollServer: %s", a.body)
	}
	return r
}

func userCheck(t *testing.T, s *Server, srv userLPServer, ts int64, extra string) string {
	t.Helper()
	resp, err := http.Get("http://" + srv.Server + "?act=a_check&key=" + srv.Key + "&ts=" + strconv.FormatInt(ts, 10) + "&wait=0" + extra)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestUserLongPoll(t *testing.T) {
	s := NewServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	if strings.Contains(srv.Server, "://") || !strings.HasSuffix(srv.Server, "/im/u"+strconv.FormatInt(DefaultUserID, 10)) {
		t.Fatalf("server %q", srv.Server)
	}
	wantError(t, call(t, s, "messages.getLongPollServer", vals("access_token", s.Token(TokenGroup).Token, "v", "5.199")), vkerr.Method, "")

	// The user writes to the community; the community answers.
	if _, err := s.Inbox(InboxMessage{FromID: DefaultUserID, GroupID: DefaultGroupID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if a := call(t, s, "messages.send", vals("peer_id", strconv.FormatInt(DefaultUserID, 10), "message", "hi there", "random_id", "5", "access_token", s.Token(TokenGroup).Token, "v", "5.199")); a.code() != 0 {
		t.Fatalf("send: %s", a.body)
	}
	var ans struct {
		TS      int64             `json:"ts"`
		PTS     *int64            `json:"pts"`
		Updates []json.RawMessage `json:"updates"`
	}
	body := userCheck(t, s, srv, srv.TS, "&mode=34&version=3")
	if err := json.Unmarshal([]byte(body), &ans); err != nil || len(ans.Updates) != 2 || ans.TS != srv.TS+2 || ans.PTS == nil || *ans.PTS != srv.PTS+2 {
		t.Fatalf("a_check: %s", body)
	}
	var up0, up1 []any
	_ = json.Unmarshal(ans.Updates[0], &up0)
	_ = json.Unmarshal(ans.Updates[1], &up1)
	g := float64(-DefaultGroupID)
	if up0[0] != 4.0 || up0[2] != 2.0 || up0[3] != g || up0[5] != "hello" || up1[0] != 4.0 || up1[2] != 1.0 || up1[5] != "hi there" || up1[8] != 5.0 {
		t.Fatalf("updates %v %v", up0, up1)
	}
	if b := userCheck(t, s, srv, ans.TS, "&version=3"); !strings.Contains(b, `"updates":[]`) || strings.Contains(b, "pts") {
		t.Fatalf("empty answer: %s", b)
	}

	// Failures.
	if b := userCheck(t, s, srv, srv.TS, "&version=99"); b != `{"failed":4,"min_version":0,"max_version":19}` {
		t.Fatalf("failed 4: %s", b)
	}
	if b := userCheck(t, s, srv, ans.TS+5, ""); b != `{"failed":1,"ts":`+strconv.FormatInt(ans.TS, 10)+`}` {
		t.Fatalf("failed 1: %s", b)
	}
	bad := srv
	bad.Key = "nope"
	if b := userCheck(t, s, bad, srv.TS, ""); b != `{"failed":2}` {
		t.Fatalf("failed 2: %s", b)
	}
	if _, err := s.AddFault(Fault{Method: "longpoll.user", Failed: 3, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if b := userCheck(t, s, srv, srv.TS, ""); b != `{"failed":3}` {
		t.Fatalf("failed 3: %s", b)
	}

	// What was missed comes back from getLongPollHistory.
	utok := s.Token(TokenUser).Token
	h := call(t, s, "messages.getLongPollHistory", vals("ts", strconv.FormatInt(srv.TS, 10), "pts", strconv.FormatInt(srv.PTS, 10), "access_token", utok, "v", "5.199"))
	var hist struct {
		History  [][]any `json:"history"`
		Messages struct {
			Count int `json:"count"`
		} `json:"messages"`
		NewPTS int64 `json:"new_pts"`
	}
	if h.code() != 0 || json.Unmarshal(h.raw["response"], &hist) != nil || len(hist.History) != 2 || hist.Messages.Count != 2 || hist.NewPTS != srv.PTS+2 {
		t.Fatalf("history: %s", h.body)
	}
	wantError(t, call(t, s, "messages.getLongPollHistory", vals("pts", strconv.FormatInt(srv.PTS+10, 10), "access_token", utok, "v", "5.199")), vkerr.MessagesTooNewPts, "")
	wantError(t, call(t, s, "messages.getLongPollHistory", vals("ts", "-1", "access_token", utok, "v", "5.199")), vkerr.Param, "")

	// Injected updates (online, typing) reach the stream as they are.
	if err := s.InjectUserUpdate(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage("8"), json.RawMessage("-7"), json.RawMessage("4")}}); err != nil {
		t.Fatal(err)
	}
	if b := userCheck(t, s, srv, ans.TS, ""); !strings.Contains(b, `"updates":[[8,-7,4]]`) {
		t.Fatalf("injected: %s", b)
	}
	if err := s.InjectUserUpdate(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage(`"x"`)}}); err == nil {
		t.Fatal("a non-numeric code accepted")
	}
}

// An a_check waits for the next update.
func TestUserLongPollWaits(t *testing.T) {
	s := NewServer(t)
	srv := userLP(t, s)
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Server + "?act=a_check&key=" + srv.Key + "&ts=" + strconv.FormatInt(srv.TS, 10) + "&wait=25&version=3")
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	if err := s.InjectUserUpdate(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage("63"), json.RawMessage("[7]"), json.RawMessage("2000000001")}}); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !strings.Contains(b, `[63,[7],2000000001]`) {
		t.Fatalf("answer %s", b)
	}
}
