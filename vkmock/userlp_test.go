package vkmock

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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
	a := call(t, s, "messages.getLongPollServer", vals("lp_version", "3", "need_pts", "1", "access_token", s.Tokens().Of(TokenUser).Token, "v", "5.199"))
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
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	if strings.Contains(srv.Server, "://") || !strings.HasSuffix(srv.Server, "/im/u"+strconv.FormatInt(DefaultUserID, 10)) {
		t.Fatalf("server %q", srv.Server)
	}
	wantError(t, call(t, s, "messages.getLongPollServer", vals("access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199")), vkerr.Method, "")

	// The user writes to the community; the community answers.
	if _, err := s.World().Inbox(InboxMessage{FromID: DefaultUserID, GroupID: DefaultGroupID, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if a := call(t, s, "messages.send", vals("peer_id", strconv.FormatInt(DefaultUserID, 10), "message", "hi there", "random_id", "5", "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199")); a.code() != 0 {
		t.Fatalf("send: %s", a.body)
	}
	var ans struct {
		TS      int64             `json:"ts"`
		PTS     *int64            `json:"pts"`
		Updates []json.RawMessage `json:"updates"`
	}
	body := userCheck(t, s, srv, srv.TS, "&mode=162&version=3")
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
	if b := userCheck(t, s, srv, srv.TS, "&version=99"); b != `{"failed":4,"min_version":3,"max_version":19}` {
		t.Fatalf("failed 4: %s", b)
	}
	if b := userCheck(t, s, srv, ans.TS+DefaultUserLongPollTSWindow+1, ""); b != `{"failed":1,"ts":`+strconv.FormatInt(ans.TS, 10)+`}` {
		t.Fatalf("failed 1: %s", b)
	}
	bad := srv
	bad.Key = "nope"
	if b := userCheck(t, s, bad, srv.TS, ""); b != `{"failed":2,"error":"Key validation failed: Key is invalid"}` {
		t.Fatalf("failed 2: %s", b)
	}
	if _, err := s.Faults().Add(Fault{Method: "longpoll.user", Failed: 3, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if b := userCheck(t, s, srv, srv.TS, ""); b != `{"failed":3}` {
		t.Fatalf("failed 3: %s", b)
	}

	// What was missed comes back from getLongPollHistory.
	utok := s.Tokens().Of(TokenUser).Token
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
	if err := s.UserLongPoll().Inject(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage("8"), json.RawMessage("-7"), json.RawMessage("4")}}); err != nil {
		t.Fatal(err)
	}
	if b := userCheck(t, s, srv, ans.TS, ""); !strings.Contains(b, `"updates":[[8,-7,4]]`) {
		t.Fatalf("injected: %s", b)
	}
	if err := s.UserLongPoll().Inject(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage(`"x"`)}}); err == nil {
		t.Fatal("a non-numeric code accepted")
	}
}

// userLPInProcess gets a User Long Poll server of s through ServeHTTP, so
// it runs inside a synctest bubble.
func userLPInProcess(t *testing.T, s *Server) userLPServer {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/method/messages.getLongPollServer?lp_version=3&access_token="+s.Tokens().Of(TokenUser).Token+"&v=5.199", nil))
	var env struct {
		Response userLPServer `json:"response"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Response.Key == "" {
		t.Fatalf("getLongPollServer: %s", w.Body)
	}
	return env.Response
}

// aCheckAsync sends an a_check through ServeHTTP from a goroutine; its
// answer comes on the channel ("" when ctx ended it).
func aCheckAsync(ctx context.Context, s *Server, srv userLPServer, ts int64, wait int) <-chan string {
	got := make(chan string, 1)
	path := srv.Server[strings.Index(srv.Server, "/im/u"):]
	target := path + "?act=a_check&key=" + srv.Key + "&ts=" + strconv.FormatInt(ts, 10) + "&wait=" + strconv.Itoa(wait) + "&version=3"
	go func() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil))
		got <- w.Body.String()
	}()
	return got
}

// holding fails t unless the a_check is still held once every goroutine
// of the bubble is blocked.
func holding(t *testing.T, got <-chan string, when string) {
	t.Helper()
	synctest.Wait()
	select {
	case b := <-got:
		t.Fatalf("%s: answered %s, want it held", when, b)
	default:
	}
}

// The waiting semantics of a_check, on synctest's clock: it holds until an
// update, until wait seconds of the mock's clock pass (and not before;
// wall time alone does not end it), or until its request ends.
func TestUserLongPollWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := MustNew()
		defer s.Close()
		srv := userLPInProcess(t, s)
		bg := context.Background()

		// An update ends the wait, at once.
		start := time.Now()
		got := aCheckAsync(bg, s, srv, srv.TS, 25)
		holding(t, got, "at once")
		time.Sleep(10 * time.Second)
		holding(t, got, "after 10 s")
		if err := s.UserLongPoll().Inject(UserUpdate{UserID: DefaultUserID, Update: []json.RawMessage{json.RawMessage("63"), json.RawMessage("[7]"), json.RawMessage("2000000001")}}); err != nil {
			t.Fatal(err)
		}
		want := `{"ts":` + strconv.FormatInt(srv.TS+1, 10) + `,"updates":[[63,[7],2000000001]]}`
		if b := <-got; b != want || time.Since(start) != 10*time.Second {
			t.Fatalf("%s after %v, want %s after 10s", b, time.Since(start), want)
		}

		// No update: the answer comes when wait seconds have passed, not a
		// moment before, with the same ts and no updates.
		ts := srv.TS + 1
		empty := `{"ts":` + strconv.FormatInt(ts, 10) + `,"updates":[]}`
		start = time.Now()
		got = aCheckAsync(bg, s, srv, ts, 25)
		time.Sleep(25*time.Second - time.Nanosecond)
		holding(t, got, "a nanosecond before the wait ends")
		if b := <-got; b != empty || time.Since(start) != 25*time.Second {
			t.Fatalf("%s after %v, want %s after 25s", b, time.Since(start), empty)
		}
		// wait=0 answers at once; a wait over 90 holds 90 s.
		start = time.Now()
		if b := <-aCheckAsync(bg, s, srv, ts, 0); b != empty || time.Since(start) != 0 {
			t.Fatalf("wait=0: %s after %v", b, time.Since(start))
		}
		if b := <-aCheckAsync(bg, s, srv, ts, 1000); b != empty || time.Since(start) != 90*time.Second {
			t.Fatalf("wait=1000: %s after %v, want 90s", b, time.Since(start))
		}

		// The mock's clock moving counts: Clock().Advance of the whole wait ends
		// it at once, of less does not.
		start = time.Now()
		got = aCheckAsync(bg, s, srv, ts, 90)
		holding(t, got, "before Advance")
		s.Clock().Advance(89 * time.Second)
		holding(t, got, "after Advance(89s) of wait=90")
		s.Clock().Advance(time.Second)
		if b := <-got; b != empty || time.Since(start) != 0 {
			t.Fatalf("after Advance: %s after %v", b, time.Since(start))
		}

		// A request that ends answers nothing.
		ctx, cancel := context.WithCancel(bg)
		got = aCheckAsync(ctx, s, srv, ts, 90)
		holding(t, got, "before cancel")
		cancel()
		if b := <-got; b != "" {
			t.Fatalf("cancelled: %s", b)
		}
	})
}

// The wait is measured on the mock's clock: with a stopped clock, an hour
// of real time leaves the a_check held, and Clock().Advance by wait ends it.
func TestUserLongPollWaitsOnMockClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stopped := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		s := MustNew(WithClock(func() time.Time { return stopped }))
		defer s.Close()
		srv := userLPInProcess(t, s)
		start := time.Now()
		got := aCheckAsync(context.Background(), s, srv, srv.TS, 25)
		time.Sleep(time.Hour)
		holding(t, got, "after an hour of real time")
		s.Clock().Advance(24 * time.Second)
		holding(t, got, "after 24 s of the mock's clock")
		s.Clock().Advance(time.Second)
		want := `{"ts":` + strconv.FormatInt(srv.TS, 10) + `,"updates":[]}`
		if b := <-got; b != want || time.Since(start) != time.Hour {
			t.Fatalf("%s after %v, want %s after 1h", b, time.Since(start), want)
		}
	})
}
