package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestStreamingGetServerURL(t *testing.T) {
	s := testServer(t)
	call := func(tok string) *http.Response {
		resp, err := http.Get(s.URL() + "/method/streaming.getServerUrl?v=5.199&access_token=" + tok)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := call(s.Tokens().Of(TokenService).Token)
	defer resp.Body.Close()
	var out struct {
		Response struct{ Endpoint, Key string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response.Endpoint != s.URL()+"/streaming" || out.Response.Key != s.Streaming().Key(DefaultAppID) {
		t.Errorf("getServerUrl: %+v", out.Response)
	}
	user := call(s.Tokens().Of(TokenUser).Token)
	defer user.Body.Close()
	env, err := vkerr.DecodeEnvelope(mustRead(t, user))
	if err != nil || env.Error == nil {
		t.Errorf("a user token got %v %v, want an error", env, err)
	}
}

func mustRead(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStreamingFaultsValidated(t *testing.T) {
	s := MustNew()
	for _, f := range []Fault{
		{Method: "streaming.rules", Effect: StreamingStall},
		{Method: "streaming.stream", Streaming: 1},
		{Method: "streaming.stream", Streaming: 2007},
		{Method: "streaming.stream", Error: &vkerr.Error{Code: 1}},
		{Method: "streaming.stream", Effect: StreamingClose, Streaming: 1006},
		{Method: "streaming.stream"},
		{Method: "streaming.stream", Effect: "truncate"},
	} {
		if _, err := s.Faults().Add(f); err == nil {
			t.Errorf("%+v was accepted", f)
		}
	}
	for _, f := range []Fault{
		{Method: "streaming.stream", Effect: StreamingMalformed},
		{Method: "streaming.stream", Streaming: 1006, Times: 1},
		{Method: "streaming.rules", HTTPStatus: 502},
		{Method: "streaming.rules", Effect: "reset", Params: map[string]string{"key": "*"}},
	} {
		if _, err := s.Faults().Add(f); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

// The control API injects events, sets a rate, drops a connection and
// lists what became of each event.
func TestStreamingControlAPI(t *testing.T) {
	s := testServer(t)
	key := s.Streaming().Key(DefaultAppID)
	post := func(path, body string) (int, string) {
		resp, err := http.Post(s.URL()+"/__vkmock/streaming/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, strings.TrimSpace(string(mustRead(t, resp)))
	}
	rule, err := http.NewRequest(http.MethodPost, s.URL()+"/streaming/rules?key="+key, strings.NewReader(`{"rule":{"value":"кот","tag":"cats"}}`))
	if err != nil {
		t.Fatal(err)
	}
	rule.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(rule); err != nil || resp.StatusCode != 200 {
		t.Fatalf("adding a rule: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if code, body := post("inject", `{"events":[{"text":"кот"},{"text":"пёс"}],"count":3}`); code != 200 || body != `{"missed":3}` {
		t.Errorf("inject: %d %s", code, body)
	}
	if code, body := post("inject", `{"events":[{"text":"кот","event_type":"story"}]}`); code != 400 {
		t.Errorf("a bad event type: %d %s", code, body)
	}
	if code, body := post("drop", `{"effect":"close"}`); code != 200 || body != `{"connected":false}` {
		t.Errorf("drop: %d %s", code, body)
	}
	if code, _ := post("drop", `{"effect":"explode"}`); code != 400 {
		t.Errorf("a bad effect: %d", code)
	}
	if code, _ := post("rate", `{"per_second":1e9}`); code != 400 {
		t.Errorf("a rate too high: %d", code)
	}
	if code, _ := post("rate", `{"per_second":0}`); code != 200 {
		t.Errorf("rate 0: %d", code)
	}
	log := s.Streaming().Log()
	if len(log) != 3 || log[0].State != "missed" || log[0].Tags[0] != "cats" {
		t.Errorf("log: %+v", log)
	}
	// A post of the world matching the rule is an event too.
	if _, err := s.World().AddPost(Post{OwnerID: 1, Text: "Кот"}); err != nil {
		t.Fatal(err)
	}
	if log := s.Streaming().Log(); len(log) != 4 || log[3].OwnerID != 1 {
		t.Errorf("after a post: %+v", log)
	}
	s.Reset()
	if len(s.Streaming().Log()) != 0 {
		t.Error("Reset kept the log")
	}
}
