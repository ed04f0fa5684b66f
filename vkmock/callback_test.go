package vkmock

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
)

// cbReceiver is a Callback server for the tests: it records each request
// and answers with the function of the test.
type cbReceiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	counts []string // X-Retry-Counter of each request
	answer func(w http.ResponseWriter, r *http.Request, body map[string]any)
	srv    *httptest.Server
}

func newCBReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body map[string]any)) *cbReceiver {
	rc := &cbReceiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, m)
		rc.counts = append(rc.counts, r.Header.Get("X-Retry-Counter"))
		rc.mu.Unlock()
		rc.answer(w, r, m)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// confirming answers the confirmation with the code and then ok.
func confirming(s *Server, rest func(w http.ResponseWriter, r *http.Request, body map[string]any)) func(http.ResponseWriter, *http.Request, map[string]any) {
	return func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if body["type"] == "confirmation" {
			_, _ = io.WriteString(w, s.Callback().ConfirmationCode(DefaultGroupID))
			return
		}
		rest(w, r, body)
	}
}

func answerOK(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
	_, _ = io.WriteString(w, "ok")
}

func groupCall(t *testing.T, s *Server, method string, kv ...string) *answer {
	t.Helper()
	v := vals(append([]string{"group_id", strconv.FormatInt(DefaultGroupID, 10), "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199"}, kv...)...)
	return call(t, s, method, v)
}

// addServer registers url, waits for the confirmation, and turns on
// message_new.
func addServer(t *testing.T, s *Server, url string, kv ...string) int64 {
	t.Helper()
	a := groupCall(t, s, "groups.addCallbackServer", "url", url, "title", "test", "secret_key", "s3cret")
	var r struct {
		ServerID int64 `json:"server_id"`
	}
	if a.code() != 0 || json.Unmarshal(a.raw["response"], &r) != nil {
		t.Fatalf("addCallbackServer: %s", a.body)
	}
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	set := groupCall(t, s, "groups.setCallbackSettings", append([]string{"server_id", strconv.FormatInt(r.ServerID, 10), "message_new", "1"}, kv...)...)
	if set.code() != 0 {
		t.Fatalf("setCallbackSettings: %s", set.body)
	}
	return r.ServerID
}

func inbox(t *testing.T, s *Server, text string) {
	t.Helper()
	if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: text}); err != nil {
		t.Fatal(err)
	}
}

func outcomes(s *Server) []string {
	var out []string
	for _, d := range s.Callback().Deliveries() {
		out = append(out, d.Outcome)
	}
	return out
}

func TestCallbackSetupMethods(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	rc := newCBReceiver(t, confirming(s, answerOK))
	bad := newCBReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) { _, _ = io.WriteString(w, "ok") })
	id := addServer(t, s, rc.srv.URL)
	addServer(t, s, bad.srv.URL)
	a := groupCall(t, s, "groups.getCallbackServers")
	var list struct {
		Count int                  `json:"count"`
		Items []callbackServerJSON `json:"items"`
	}
	if err := json.Unmarshal(a.raw["response"], &list); err != nil || list.Count != 2 {
		t.Fatalf("getCallbackServers: %s", a.body)
	}
	if list.Items[0].Status != "ok" || list.Items[1].Status != "failed" || list.Items[0].SecretKey != "s3cret" || list.Items[0].Title != "test" {
		t.Fatalf("statuses: %+v", list.Items)
	}
	if got := rc.bodies[0]; got["type"] != "confirmation" || got["group_id"] != float64(DefaultGroupID) {
		t.Fatalf("confirmation body %v", got)
	}
	for i := 2; i < MaxCallbackServers; i++ {
		groupCall(t, s, "groups.addCallbackServer", "url", rc.srv.URL, "title", "x")
	}
	wantError(t, groupCall(t, s, "groups.addCallbackServer", "url", rc.srv.URL, "title", "x"), vkerr.CallbackAPIServersLimit, "")
	wantError(t, groupCall(t, s, "groups.addCallbackServer", "url", "ftp://x", "title", "x"), vkerr.Param, "")
	wantError(t, groupCall(t, s, "groups.addCallbackServer", "url", rc.srv.URL, "title", "fifteen chars!!"), vkerr.Param, "")
	wantError(t, groupCall(t, s, "groups.editCallbackServer", "server_id", "99", "url", rc.srv.URL, "title", "x"), vkerr.NotFound, "")
	wantError(t, groupCall(t, s, "groups.getCallbackSettings", "server_id", "99"), vkerr.NotFound, "")
	wantError(t, call(t, s, "groups.getCallbackServers", vals("group_id", "1", "access_token", s.Tokens().Of(TokenGroup).Token, "v", "5.199")), vkerr.Access, "")

	set := groupCall(t, s, "groups.setCallbackSettings", "server_id", strconv.FormatInt(id, 10), "api_version", "5.80", "wall_post_new", "1")
	get := groupCall(t, s, "groups.getCallbackSettings", "server_id", strconv.FormatInt(id, 10))
	var st struct {
		APIVersion string         `json:"api_version"`
		Events     map[string]int `json:"events"`
	}
	if set.code() != 0 || json.Unmarshal(get.raw["response"], &st) != nil || st.APIVersion != "5.80" || st.Events["wall_post_new"] != 1 || st.Events["message_new"] != 1 || st.Events["group_join"] != 0 {
		t.Fatalf("settings: %s %s", set.body, get.body)
	}
	code := groupCall(t, s, "groups.getCallbackConfirmationCode")
	if string(code.raw["response"]) != `{"code":"`+s.Callback().ConfirmationCode(DefaultGroupID)+`"}` {
		t.Fatalf("code: %s", code.body)
	}
	if d := groupCall(t, s, "groups.deleteCallbackServer", "server_id", strconv.FormatInt(id, 10)); string(d.raw["response"]) != "1" {
		t.Fatalf("delete: %s", d.body)
	}
	if n := len(s.Callback().Servers(DefaultGroupID)); n != MaxCallbackServers-1 {
		t.Fatalf("%d servers after delete", n)
	}
}

// Events reach confirmed servers with the secret, in the server's
// api_version shape; unconfirmed servers get nothing.
func TestCallbackDelivery(t *testing.T) {
	s := testServer(t)
	rc := newCBReceiver(t, confirming(s, answerOK))
	legacy := newCBReceiver(t, confirming(s, answerOK))
	never := newCBReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) { http.Error(w, "no", 500) })
	addServer(t, s, rc.srv.URL)
	addServer(t, s, legacy.srv.URL, "api_version", "5.80")
	addServer(t, s, never.srv.URL)
	inbox(t, s, "hello")
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	ev := s.LongPoll().Events()[0]
	got := rc.bodies[1]
	msg, _ := got["object"].(map[string]any)["message"].(map[string]any)
	if got["type"] != "message_new" || got["event_id"] != ev.EventID || got["secret"] != "s3cret" || got["v"] != "5.199" || msg["text"] != "hello" {
		t.Fatalf("body %v", got)
	}
	lg := legacy.bodies[1]["object"].(map[string]any)
	if lg["body"] != "hello" || lg["message"] != nil {
		t.Fatalf("legacy body %v", lg)
	}
	if len(never.bodies) != 1 {
		t.Fatalf("unconfirmed server got %d requests", len(never.bodies))
	}
}

// Each failure VK counts is a failure; the event is resent with the same
// event_id and a growing X-Retry-Counter on the schedule of the mock's
// clock.
func TestCallbackFailuresResend(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now))
	s.Callback().SetConfig(CallbackConfig{Schedule: []time.Duration{10 * time.Second, time.Minute, time.Minute, time.Minute, time.Minute}, Timeout: 200 * time.Millisecond, PauseAfter: 100})
	// Handlers run on the server's goroutines and the one that waits out
	// the timeout outlives its request, so the count is atomic.
	var n atomic.Int32
	rc := newCBReceiver(t, confirming(s, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		switch n.Add(1) {
		case 1:
			http.Error(w, "oops", 500)
		case 2:
			_, _ = io.WriteString(w, "OK")
		case 3:
			_, _ = io.WriteString(w, "\ufeffok")
		case 4:
			<-r.Context().Done() // past the sender's timeout
		case 5:
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "ok")
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	addServer(t, s, rc.srv.URL)
	inbox(t, s, "x")
	for range 5 {
		if err := s.Callback().Idle(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.Clock().Advance(time.Minute)
	}
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(outcomes(s), ","); got != "confirmed,failed,failed,failed,failed,failed,ok" {
		t.Fatalf("outcomes %s", got)
	}
	log := s.Callback().Deliveries()
	if log[1].Next.Sub(log[1].Time) != 10*time.Second || log[2].Next.Sub(log[2].Time) != time.Minute || log[1].Status != 500 || log[4].Status != 0 {
		t.Fatalf("schedule: %+v", log[1:3])
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if got := strings.Join(rc.counts[1:], ","); got != ",1,2,3,4,5" {
		t.Fatalf("X-Retry-Counter %s", got)
	}
	for _, b := range rc.bodies[2:] {
		if b["event_id"] != rc.bodies[1]["event_id"] {
			t.Fatal("a resend with another event_id")
		}
	}
}

// A server that never answers right is paused after PauseAfter failures
// in a row (status failed), and resumes when the pause ends.
func TestCallbackPauseAndResume(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now))
	s.Callback().SetConfig(CallbackConfig{Schedule: []time.Duration{time.Second, time.Second, time.Second, time.Second, time.Second, time.Second}, PauseAfter: 3, Pause: time.Hour})
	var mu sync.Mutex
	right := false
	rc := newCBReceiver(t, confirming(s, func(w http.ResponseWriter, r *http.Request, b map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		if right {
			answerOK(w, r, b)
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	addServer(t, s, rc.srv.URL)
	status := func() string {
		a := groupCall(t, s, "groups.getCallbackServers")
		var l struct {
			Items []callbackServerJSON `json:"items"`
		}
		_ = json.Unmarshal(a.raw["response"], &l)
		return l.Items[0].Status
	}
	inbox(t, s, "x")
	for range 4 {
		if err := s.Callback().Idle(t.Context()); err != nil {
			t.Fatal(s.debugCB(), outcomes(s))
		}
		s.Clock().Advance(time.Second)
	}
	_ = s.Callback().Idle(t.Context())
	if got := strings.Join(outcomes(s), ","); got != "confirmed,failed,failed,paused" || status() != "failed" {
		t.Fatalf("outcomes %s, status %s", got, status())
	}
	// Paused at the third failure, two seconds ago, for an hour; the
	// event waits for the pause's end.
	sv := s.Callback().Servers(DefaultGroupID)[0]
	if log := s.Callback().Deliveries(); !sv.PausedUntil.Equal(s.Clock().Now().Add(time.Hour-2*time.Second)) || !log[3].Next.Equal(sv.PausedUntil) {
		t.Fatalf("paused until %v, next attempt %v", sv.PausedUntil, log[3].Next)
	}
	mu.Lock()
	right = true
	mu.Unlock()
	s.Clock().Advance(59 * time.Minute)
	_ = s.Callback().Idle(t.Context())
	if len(s.Callback().Deliveries()) != 4 {
		t.Fatalf("sent while paused: %v", outcomes(s))
	}
	s.Clock().Advance(time.Minute)
	_ = s.Callback().Idle(t.Context())
	if got := strings.Join(outcomes(s), ","); got != "confirmed,failed,failed,paused,ok" || status() != "ok" {
		t.Fatalf("after the pause: %s, status %s", got, status())
	}
}

// Retry-After reschedules; the body remove detaches the server.
func TestCallbackRetryAfterAndRemove(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now))
	var n atomic.Int32
	rc := newCBReceiver(t, confirming(s, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "120")
			http.Error(w, "later", http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "remove")
	}))
	addServer(t, s, rc.srv.URL)
	inbox(t, s, "x")
	_ = s.Callback().Idle(t.Context())
	log := s.Callback().Deliveries()
	if log[1].Outcome != "retry_after" || log[1].Next.Sub(log[1].Time) != 120*time.Second {
		t.Fatalf("retry after: %+v", log[1])
	}
	s.Clock().Advance(119 * time.Second)
	_ = s.Callback().Idle(t.Context())
	if len(s.Callback().Deliveries()) != 2 {
		t.Fatal("resent before Retry-After")
	}
	s.Clock().Advance(time.Second)
	_ = s.Callback().Idle(t.Context())
	if got := strings.Join(outcomes(s), ","); got != "confirmed,retry_after,removed" || len(s.Callback().Servers(DefaultGroupID)) != 0 || s.Callback().Pending() != 0 {
		t.Fatalf("remove: %s, %d servers", got, len(s.Callback().Servers(DefaultGroupID)))
	}
}

// The control API shows the log and the servers and moves the clock.
func TestCallbackControlAPI(t *testing.T) {
	s := testServer(t)
	rc := newCBReceiver(t, confirming(s, answerOK))
	addServer(t, s, rc.srv.URL)
	ctl := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, s.URL()+"/__vkmock"+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := ctl("POST", "/callback", `{"schedule":["1s","2s"],"pause_after":2,"timeout":"1s"}`); code != 200 || !strings.Contains(b, `"schedule":["1s","2s"]`) {
		t.Fatalf("config: %d %s", code, b)
	}
	if code, _ := ctl("POST", "/callback", `{"schedule":["-1s"]}`); code != 400 {
		t.Fatalf("bad config: %d", code)
	}
	if code, b := ctl("GET", "/callback/servers/"+strconv.FormatInt(DefaultGroupID, 10), ""); code != 200 || !strings.Contains(b, `"status":"ok"`) || strings.Contains(b, "s3cret") {
		t.Fatalf("servers: %d %s", code, b)
	}
	if code, b := ctl("GET", "/callback/log", ""); code != 200 || !strings.Contains(b, `"outcome":"confirmed"`) || !strings.Contains(b, `"latency_ms"`) {
		t.Fatalf("log: %d %s", code, b)
	}
	before := s.Clock().Now()
	if code, _ := ctl("POST", "/callback/advance", `{"advance":"1h"}`); code != 200 || s.Clock().Now().Sub(before) < time.Hour {
		t.Fatalf("advance: %d", code)
	}
	if code, _ := ctl("POST", "/callback/confirm", `{"group_id":1,"server_id":1}`); code != 400 {
		t.Fatalf("confirm unknown: %d", code)
	}
}

// Close ends the sender's goroutines, a POST in flight included.
func TestCallbackCloseLeaksNothing(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "confirmation") {
			_, _ = io.WriteString(w, MustNew().Callback().ConfirmationCode(DefaultGroupID))
			return
		}
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	defer rcv.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := MustNew()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	addServer(t, s, rcv.URL)
	inbox(t, s, "x")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.Callback().Idle(ctx); err == nil { // the POST hangs
		t.Fatal("idle while a POST hangs")
	}
	s.Close()
	s.Close() // twice is fine
}
