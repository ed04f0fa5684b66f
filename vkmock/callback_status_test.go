package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// cbStatuses reads groups.getCallbackServers: each server's status and url
// by id.
func cbStatuses(t *testing.T, s *Server) map[int64][2]string {
	t.Helper()
	a := groupCall(t, s, "groups.getCallbackServers")
	var l struct {
		Count int                  `json:"count"`
		Items []callbackServerJSON `json:"items"`
	}
	if err := json.Unmarshal(a.raw["response"], &l); err != nil || l.Count != len(l.Items) {
		t.Fatalf("getCallbackServers: %s", a.body)
	}
	out := map[int64][2]string{}
	for _, it := range l.Items {
		out[it.ID] = [2]string{it.Status, it.URL}
	}
	return out
}

// Every status of the schema's enum (groups_callback_server.status) is
// reached where its condition arises, and both groups.getCallbackServers
// and the control API show it: unconfigured (no address: VK's "адрес не
// задан"), wait (the confirmation is being asked), ok (confirmed), failed
// (a wrong code, or a confirmation that could not even be queued).
func TestCallbackServerStatuses(t *testing.T) {
	s := testServer(t)
	gid := strconv.FormatInt(DefaultGroupID, 10)

	// unconfigured: a server without an address, from the Go control API
	// and from its HTTP form; it is asked nothing and sent nothing.
	sv, err := s.Callback().AddServer(CallbackServer{GroupID: DefaultGroupID, Title: "site"})
	if err != nil || sv.ID != 1 || sv.Status != CallbackUnconfigured || sv.URL != "" {
		t.Fatalf("AddServer: %+v, %v", sv, err)
	}
	var made CallbackServer
	if code := controlCall(t, s, "POST", "/__vkmock/callback/servers/"+gid, map[string]string{"title": "page", "secret_key": "k"}, &made); code != http.StatusCreated || made.ID != 2 || made.Status != CallbackUnconfigured || !made.HasSecret {
		t.Fatalf("POST servers: %d %+v", code, made)
	}
	for _, bad := range []map[string]string{{"title": "x", "url": "ftp://x"}, {"title": "fifteen chars!!"}, {"title": ""}, {"title": "x", "api_version": "five"}} {
		if code := controlCall(t, s, "POST", "/__vkmock/callback/servers/"+gid, bad, nil); code != http.StatusBadRequest {
			t.Fatalf("POST servers %v: %d", bad, code)
		}
	}
	if code := controlCall(t, s, "POST", "/__vkmock/callback/servers/0", map[string]string{"title": "x"}, nil); code != http.StatusBadRequest {
		t.Fatalf("POST servers of community 0: %d", code)
	}
	if got := cbStatuses(t, s); got[1] != [2]string{"unconfigured", ""} || got[2] != [2]string{"unconfigured", ""} {
		t.Fatalf("statuses %v", got)
	}
	if err := s.Callback().Confirm(DefaultGroupID, 1); err == nil {
		t.Fatal("an address-less server was asked for the confirmation")
	}
	groupCall(t, s, "groups.setCallbackSettings", "server_id", "1", "message_new", "1")
	inbox(t, s, "nobody hears")
	if err := s.Callback().Idle(t.Context()); err != nil || len(s.Callback().Deliveries()) != 0 {
		t.Fatalf("an unconfigured server was sent %v (%v)", outcomes(s), err)
	}
	wantError(t, groupCall(t, s, "groups.editCallbackServer", "server_id", "1", "url", "", "title", "site"), vkerr.Param, "")

	// wait, then ok: editCallbackServer gives the address; the status is
	// wait until the receiver answers the code.
	gate := make(chan struct{})
	rc := newCBReceiver(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if body["type"] == "confirmation" {
			<-gate
			_, _ = io.WriteString(w, s.Callback().ConfirmationCode(DefaultGroupID))
			return
		}
		answerOK(w, r, body)
	})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release) // before the receiver's Close, even when the test fails
	if a := groupCall(t, s, "groups.editCallbackServer", "server_id", "1", "url", rc.srv.URL, "title", "site"); a.code() != 0 {
		t.Fatalf("editCallbackServer: %s", a.body)
	}
	if got := cbStatuses(t, s)[1]; got != [2]string{"wait", rc.srv.URL} {
		t.Fatalf("while the confirmation is asked: %v", got)
	}

	// failed: a confirmation that cannot be queued (the pending store is
	// full with the one in flight) is never asked.
	s.Callback().SetConfig(CallbackConfig{Pending: 1})
	if a := groupCall(t, s, "groups.editCallbackServer", "server_id", "2", "url", rc.srv.URL, "title", "page"); a.code() != 0 {
		t.Fatalf("editCallbackServer: %s", a.body)
	}
	var listed []CallbackServer
	if code := controlCall(t, s, "GET", "/__vkmock/callback/servers/"+gid, nil, &listed); code != 200 || len(listed) != 2 || listed[0].Status != CallbackWait || listed[1].Status != CallbackFailed {
		t.Fatalf("control servers: %d %+v", code, listed)
	}
	release()
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Callback().SetConfig(CallbackConfig{})

	// failed: a wrong code.
	wrong := newCBReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		_, _ = io.WriteString(w, "not the code")
	})
	if a := groupCall(t, s, "groups.addCallbackServer", "url", wrong.srv.URL, "title", "wrong"); a.code() != 0 {
		t.Fatalf("addCallbackServer: %s", a.body)
	}
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := cbStatuses(t, s)
	if got[1][0] != "ok" || got[2][0] != "failed" || got[3][0] != "failed" {
		t.Fatalf("statuses %v; log %v", got, outcomes(s))
	}
	if code := controlCall(t, s, "GET", "/__vkmock/callback/servers/"+gid, nil, &listed); code != 200 || listed[0].Status != CallbackOK || listed[2].Status != CallbackFailed {
		t.Fatalf("control servers: %d %+v", code, listed)
	}
	// The dropped confirmation is in the log; asked again, it succeeds.
	if !strings.Contains(strings.Join(outcomes(s), ","), "dropped") {
		t.Fatalf("log %v", outcomes(s))
	}
	if err := s.Callback().Confirm(DefaultGroupID, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Callback().Idle(t.Context()); err != nil || cbStatuses(t, s)[2][0] != "ok" {
		t.Fatalf("confirmed again: %v %v", cbStatuses(t, s), err)
	}
}

// The sender waits CallbackConfig.Timeout for an answer: 5 s by default
// (docs/vkmock.md, "The Callback sender", says why), set by SetConfig or
// POST /__vkmock/callback; a receiver that holds the POST past it is a
// failure with no status, resent on the schedule.
func TestCallbackAnswerTimeout(t *testing.T) {
	s := testServer(t)
	if DefaultCallbackTimeout != 5*time.Second || s.Callback().Config().Timeout != DefaultCallbackTimeout {
		t.Fatalf("default timeout %v, config %v", DefaultCallbackTimeout, s.Callback().Config().Timeout)
	}
	var cfg callbackConfigBody
	if code := controlCall(t, s, "GET", "/__vkmock/callback", nil, &cfg); code != 200 || cfg.Timeout != "5s" {
		t.Fatalf("GET /callback: %d %+v", code, cfg)
	}
	s.Callback().SetConfig(CallbackConfig{Timeout: 8 * time.Second})
	if got := s.Callback().Config().Timeout; got != 8*time.Second {
		t.Fatalf("SetConfig: %v", got)
	}
	const short = 150 * time.Millisecond
	if code := controlCall(t, s, "POST", "/__vkmock/callback", map[string]string{"timeout": short.String()}, &cfg); code != 200 || cfg.Timeout != short.String() || s.Callback().Config().Timeout != short {
		t.Fatalf("POST /callback: %d %+v", code, cfg)
	}
	if code := controlCall(t, s, "POST", "/__vkmock/callback", map[string]string{"timeout": "11m"}, nil); code != http.StatusBadRequest {
		t.Fatalf("a timeout over 10 minutes: %d", code)
	}
	rc := newCBReceiver(t, confirming(s, func(_ http.ResponseWriter, r *http.Request, _ map[string]any) {
		<-r.Context().Done() // no answer: the sender gives up at its timeout
	}))
	addServer(t, s, rc.srv.URL)
	inbox(t, s, "slow")
	if err := s.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	log := s.Callback().Deliveries()
	if len(log) != 2 || log[1].Outcome != "failed" || log[1].Status != 0 || log[1].LatencyMS < float64(short.Milliseconds()) || log[1].Next.IsZero() {
		t.Fatalf("log %+v", log)
	}
}
