package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestMessagesDedup(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	user := s.Tokens().Of(TokenUser).Token
	send := func(tok string, kv ...string) int64 {
		a := post(t, s, "messages.send", vals(append([]string{"v", "5.199", "access_token", tok}, kv...)...), nil)
		if a.code() != 0 {
			t.Fatalf("send %v: %s", kv, a.body)
		}
		var id int64
		_ = json.Unmarshal(a.env.Response, &id)
		return id
	}
	id1 := send(group, "peer_id", "5", "random_id", "42", "message", "a")
	if again := send(group, "peer_id", "5", "random_id", "42", "message", "a"); again != id1 {
		t.Fatalf("duplicate random_id gave %d, want %d", again, id1)
	}
	id2 := send(group, "peer_id", "6", "random_id", "42", "message", "b") // another peer
	id3 := send(user, "peer_id", "5", "random_id", "42", "message", "c")  // another sender
	id4 := send(group, "peer_id", "5", "random_id", "0", "message", "d")
	id5 := send(group, "peer_id", "5", "random_id", "0", "message", "d")
	if id2 == id1 || id3 == id1 || id4 == id5 {
		t.Fatalf("ids %d %d %d %d %d", id1, id2, id3, id4, id5)
	}
	send(group, "user_id", "7", "message", "by user_id")
	send(group, "chat_id", "3", "message", "to a chat")
	send(group, "domain", "mock_friend", "message", "by name")
	var multi []map[string]int64
	a := post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "peer_ids", "8,9", "random_id", "1", "message", "m"), nil)
	if err := json.Unmarshal(a.env.Response, &multi); err != nil || len(multi) != 2 || multi[1]["peer_id"] != 9 {
		t.Fatalf("peer_ids: %s", a.body)
	}
	var msgs []map[string]any
	controlCall(t, s, "GET", "/__vkmock/messages", nil, &msgs)
	if len(msgs) != 10 {
		t.Fatalf("%d messages: %v", len(msgs), msgs)
	}
	first := msgs[0]
	for _, k := range []string{"from_id", "peer_id", "random_id", "message", "date"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("message without %s: %v", k, first)
		}
	}
	if first["from_id"] != float64(-DefaultGroupID) || first["peer_id"] != float64(5) || first["random_id"] != float64(42) || first["message"] != "a" {
		t.Fatalf("first message %v", first)
	}
	got := s.World().Messages()
	if got[6].PeerID != ChatPeerBase+3 || got[7].PeerID != WorldFriendID || got[2].FromID != DefaultUserID {
		t.Fatalf("messages %+v", got)
	}
	// Errors: deleted target, private profile, nothing to send, no peer.
	wantError(t, post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "peer_id", strconv.FormatInt(WorldDeletedUserID, 10), "message", "x"), nil), vkerr.UserDeleted, "User was deleted or banned")
	wantError(t, post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "peer_id", strconv.FormatInt(WorldPrivateUserID, 10), "message", "x"), nil), vkerr.MessagesPrivacy, "")
	wantError(t, post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "peer_id", "5"), nil), vkerr.Param, "One of the parameters specified was missing or invalid: message is empty or invalid")
	wantError(t, post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "message", "x"), nil), vkerr.Param, "One of the parameters specified was missing or invalid: peer_id is undefined")
	controlCall(t, s, "DELETE", "/__vkmock/messages", nil, nil)
	if len(s.World().Messages()) != 0 {
		t.Fatal("messages not cleared")
	}
}

func TestFaultAfterAction(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	var id map[string]string
	if st := controlCall(t, s, "POST", "/__vkmock/faults", map[string]any{"method": "messages.send", "phase": "after", "times": 1, "error": map[string]any{"error_code": 10}}, &id); st != http.StatusCreated {
		t.Fatalf("add after fault: %d", st)
	}
	var rules []Fault
	controlCall(t, s, "GET", "/__vkmock/faults", nil, &rules)
	if len(rules) != 1 || rules[0].Phase != "after" {
		t.Fatalf("rules %+v", rules)
	}
	params := vals("v", "5.199", "access_token", group, "peer_id", "11", "random_id", "99", "message", "once")
	wantError(t, post(t, s, "messages.send", params, nil), vkerr.Server, "Internal server error")
	if n := len(s.World().Messages()); n != 1 {
		t.Fatalf("the method did not act before the fault: %d messages", n)
	}
	a := post(t, s, "messages.send", params, nil)
	if a.code() != 0 || string(a.env.Response) != strconv.FormatInt(s.World().Messages()[0].ID, 10) {
		t.Fatalf("retry: %s", a.body)
	}
	// The transport effects after acting, then a retry: still one message.
	for i, f := range []Fault{{HTTPStatus: 502}, {Effect: "reset"}, {Effect: "truncate"}, {LatencyMS: 5}} {
		f.Method, f.Phase, f.Times = "messages.send", "after", 1
		mustAdd(t, s, f)
		p := vals("v", "5.199", "access_token", group, "peer_id", "12", "random_id", strconv.Itoa(1000+i), "message", "x")
		u := s.URL() + "/method/messages.send"
		resp, err := s.HTTPClient().PostForm(u, p)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			ok := resp.StatusCode == 200 && rerr == nil && json.Valid(body)
			if f.LatencyMS == 0 && ok {
				t.Fatalf("%+v: answer intact: %s", f, body)
			}
		}
		a := post(t, s, "messages.send", p, nil)
		if a.code() != 0 {
			t.Fatalf("%+v: retry %s", f, a.body)
		}
	}
	if n := len(s.World().Messages()); n != 5 {
		t.Fatalf("%d messages, want 5", n)
	}
	if _, err := s.Faults().Add(Fault{Method: "*", Phase: "later", HTTPStatus: 500}); err == nil {
		t.Fatal("phase later accepted")
	}
}

// TestExactlyOnceUnderFaults is a short chaos run: several community
// tokens of one group, rate limits off, 20% faults before and after the
// action, and a client that resends with the same random_id until it gets
// an answer: every message is stored exactly once.
func TestExactlyOnceUnderFaults(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	var tokens []string
	for range 4 {
		tk, err := s.Tokens().Create(Token{Kind: TokenGroup, GroupID: DefaultGroupID})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tk.Token)
	}
	for _, f := range []Fault{
		{Method: "messages.send", Probability: 0.05, Error: &vkerr.Error{Code: vkerr.Server}},
		{Method: "messages.send", Probability: 0.05, Phase: "after", HTTPStatus: 503},
		{Method: "messages.send", Probability: 0.04, Phase: "after", Effect: "reset"},
		{Method: "messages.send", Probability: 0.04, Phase: "after", Effect: "truncate"},
		{Method: "messages.send", Probability: 0.03, Phase: "after", Error: &vkerr.Error{Code: vkerr.Unknown}},
	} {
		mustAdd(t, s, f)
	}
	const n = 600
	client := s.HTTPClient()
	errs := make(chan string, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			form := url.Values{"v": {"5.199"}, "access_token": {tokens[i%len(tokens)]}, "peer_id": {strconv.Itoa(1000 + i)},
				"random_id": {strconv.Itoa(i + 1)}, "message": {"m" + strconv.Itoa(i)}}
			for attempt := range 50 {
				resp, err := client.PostForm(s.URL()+"/method/messages.send", form)
				if err != nil {
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					continue
				}
				env, err := vkerr.DecodeEnvelope(body)
				if err != nil || env.Error != nil {
					continue
				}
				_ = attempt
				errs <- ""
				return
			}
			errs <- "message " + strconv.Itoa(i) + " never answered"
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
	seen := map[int64]int{}
	for _, m := range s.World().Messages() {
		seen[m.RandomID]++
		if m.FromID != -DefaultGroupID {
			t.Fatalf("from_id %d", m.FromID)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages, want %d", len(seen), n)
	}
	for rid, k := range seen {
		if k != 1 {
			t.Fatalf("random_id %d stored %d times", rid, k)
		}
	}
	fired := 0
	for _, f := range s.Faults().List() {
		fired += int(f.Fired)
	}
	if fired < n/10 {
		t.Fatalf("only %d faults fired", fired)
	}
	t.Logf("%d messages, %d faults", n, fired)
}

func TestControlPart2Errors(t *testing.T) {
	s := testServer(t)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/__vkmock/clock", map[string]any{"advance": "soon"}, http.StatusBadRequest},
		{"PUT", "/__vkmock/clock", nil, http.StatusMethodNotAllowed},
		{"GET", "/__vkmock/captcha/123", nil, http.StatusNotFound},
		{"POST", "/__vkmock/challenges", map[string]any{"flood": []any{map[string]any{"method": "x", "threshold": 0}}}, http.StatusBadRequest},
		{"POST", "/__vkmock/challenges", map[string]any{"nonsense": 1}, http.StatusBadRequest},
		{"DELETE", "/__vkmock/challenges", nil, http.StatusNoContent},
		{"POST", "/__vkmock/procedures", Procedure{Name: "a.b", Code: "return 1;"}, http.StatusBadRequest},
		{"DELETE", "/__vkmock/procedures/none", nil, http.StatusNotFound},
		{"POST", "/__vkmock/validate", map[string]any{"redirect_uri": "http://x/validate?sid=1"}, http.StatusBadRequest},
		{"POST", "/__vkmock/world/groups", Group{ID: 5, IsClosed: 3}, http.StatusBadRequest},
		{"POST", "/__vkmock/world/albums", Album{ID: 0}, http.StatusBadRequest},
		{"POST", "/__vkmock/world/posts", Post{Text: "no owner"}, http.StatusBadRequest},
		{"GET", "/__vkmock/world/users", nil, http.StatusMethodNotAllowed},
		{"PUT", "/__vkmock/messages", nil, http.StatusMethodNotAllowed},
	} {
		if got := controlCall(t, s, c.method, c.path, c.body, nil); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	// The Go API and the control API complete a validation alike.
	tok := s.Tokens().Of(TokenUser).Token
	if err := s.Challenges().SetToken(tok, vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	uri := call(t, s, "users.get", vals("v", "5.199", "access_token", tok)).env.Error.RedirectURI
	var out map[string]string
	if st := controlCall(t, s, "POST", "/__vkmock/validate", map[string]any{"redirect_uri": uri}, &out); st != http.StatusOK || out["access_token"] == "" {
		t.Fatalf("validate: %d %v", st, out)
	}
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", out["access_token"])); a.code() != 0 {
		t.Fatalf("new token: %s", a.body)
	}
	// Pages of unknown flows.
	if resp, _ := s.HTTPClient().Get(s.URL() + "/not_robot_captcha?sid=1"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown VK ID captcha: %d", resp.StatusCode)
	}
	resp, _ := noRedirect(s).Get(s.URL() + "/validate?sid=1")
	if resp.StatusCode != http.StatusFound || !strings.HasSuffix(resp.Header.Get("Location"), "#fail=1") {
		t.Fatalf("unknown validation: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
