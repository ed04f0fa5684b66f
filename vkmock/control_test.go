package vkmock

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/syncbuf"
)

func controlCall(t testing.TB, s *Server, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Vkmock-Version") != Version {
		t.Fatalf("%s %s: no Vkmock-Version header", method, path)
	}
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func TestControlTokens(t *testing.T) {
	s := testServer(t, WithSeed(5))
	var toks []map[string]any
	if st := controlCall(t, s, "GET", "/__vkmock/tokens", nil, &toks); st != 200 || len(toks) != 3 {
		t.Fatalf("GET tokens: %d %v", st, toks)
	}
	for i, kind := range []TokenKind{TokenUser, TokenGroup, TokenService} {
		tk := toks[i]
		if tk["kind"] != kind.String() || tk["state"] != "valid" || tk["token"] != s.Tokens().Of(kind).Token {
			t.Fatalf("token %d: %v", i, tk)
		}
		for _, k := range []string{"user_id", "group_id"} {
			if _, ok := tk[k].(float64); !ok {
				t.Fatalf("token %d has no numeric %s: %v", i, k, tk)
			}
		}
	}
	// Tokens derive from the seed.
	if MustNew(WithSeed(5)).Tokens().Of(TokenUser).Token != s.Tokens().Of(TokenUser).Token || MustNew(WithSeed(6)).Tokens().Of(TokenUser).Token == s.Tokens().Of(TokenUser).Token {
		t.Fatal("tokens do not follow the seed")
	}
	var created Token
	if st := controlCall(t, s, "POST", "/__vkmock/tokens", map[string]any{"kind": "group", "group_id": 42}, &created); st != 201 {
		t.Fatalf("POST tokens: %d", st)
	}
	if created.Kind != TokenGroup || created.GroupID != 42 || created.Token == "" || created.State != StateValid {
		t.Fatalf("created %+v", created)
	}
	if a := call(t, s, "messages.send", vals("v", "5.199", "access_token", created.Token, "peer_id", "1", "message", "hi")); a.code() != 0 {
		t.Fatalf("created token: %s", a.body)
	}
	var e map[string]string
	if st := controlCall(t, s, "POST", "/__vkmock/tokens", map[string]any{"kind": "robot"}, &e); st != 400 || e["error"] == "" {
		t.Fatalf("bad kind: %d %v", st, e)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/tokens", map[string]any{"kind": "user", "token": created.Token}, &e); st != 400 {
		t.Fatalf("duplicate token: %d", st)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/tokens/state", map[string]any{"token": created.Token, "state": "revoked"}, nil); st != 200 {
		t.Fatalf("state: %d", st)
	}
	wantError(t, call(t, s, "messages.send", vals("v", "5.199", "access_token", created.Token)), vkerr.Auth, "User authorization failed: invalid session.")
	if st := controlCall(t, s, "POST", "/__vkmock/tokens", map[string]any{"kind": "user", "sneaky": 1}, nil); st != 400 {
		t.Fatalf("unknown field accepted: %d", st)
	}
	if len(s.Tokens().All()) != 4 {
		t.Fatalf("%d tokens", len(s.Tokens().All()))
	}
}

func TestControlFaultsAndReset(t *testing.T) {
	s := testServer(t)
	user := s.Tokens().Of(TokenUser).Token
	var added map[string]string
	rules := []map[string]any{
		{"method": "messages.*", "probability": 0.2, "times": 0, "error": map[string]any{"error_code": 10}},
		{"method": "*", "http_status": 502},
		{"method": "users.get", "latency_ms": 50},
		{"method": "*", "effect": "reset"},
		{"method": "*", "effect": "truncate"},
	}
	for _, r := range rules {
		if st := controlCall(t, s, "POST", "/__vkmock/faults", r, &added); st != 201 || added["id"] == "" {
			t.Fatalf("POST fault %v: %d %v", r, st, added)
		}
	}
	var list []map[string]any
	controlCall(t, s, "GET", "/__vkmock/faults", nil, &list)
	if len(list) != len(rules) || list[0]["method"] != "messages.*" || list[1]["http_status"].(float64) != 502 {
		t.Fatalf("GET faults: %v", list)
	}
	if errObj, _ := list[0]["error"].(map[string]any); errObj["error_code"].(float64) != 10 {
		t.Fatalf("fault error: %v", list[0])
	}
	if st := controlCall(t, s, "DELETE", "/__vkmock/faults/"+list[4]["id"].(string), nil, nil); st != 204 {
		t.Fatalf("DELETE one: %d", st)
	}
	if st := controlCall(t, s, "DELETE", "/__vkmock/faults", nil, nil); st != 204 || len(s.Faults().List()) != 0 {
		t.Fatalf("DELETE faults: %d, %d left", st, len(s.Faults().List()))
	}
	var e map[string]string
	if st := controlCall(t, s, "POST", "/__vkmock/faults", map[string]any{"method": "*", "effect": "melt"}, &e); st != 400 || e["error"] == "" {
		t.Fatalf("bad fault: %d %v", st, e)
	}

	// Reset: faults, created tokens, states, log and rate windows go back.
	mustAdd(t, s, Fault{HTTPStatus: 500})
	tok, _ := s.Tokens().Create(Token{Kind: TokenUser})
	_ = s.Tokens().SetState(user, StateExpired)
	call(t, s, "users.get", vals("v", "5.199"))
	if st := controlCall(t, s, "POST", "/__vkmock/reset", nil, nil); st != 204 {
		t.Fatalf("reset: %d", st)
	}
	if len(s.Faults().List()) != 0 || len(s.Tokens().All()) != 3 || len(s.Requests().All()) != 0 || s.Tokens().Of(TokenUser).State != StateValid {
		t.Fatalf("after reset: %d faults, %d tokens, %d requests, state %s", len(s.Faults().List()), len(s.Tokens().All()), len(s.Requests().All()), s.Tokens().Of(TokenUser).State)
	}
	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", tok.Token)), vkerr.Auth, "")

	var set Settings
	controlCall(t, s, "POST", "/__vkmock/settings", map[string]any{"https_only": true}, &set)
	if !set.HTTPSOnly || !set.RateLimits {
		t.Fatalf("settings %+v", set)
	}
	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", user)), vkerr.AuthHTTPS, "")
	var ver map[string]any
	controlCall(t, s, "GET", "/__vkmock/version", nil, &ver)
	if ver["version"] != Version || ver["schema"] != SchemaVersion || int(ver["methods"].(float64)) != len(s.Methods()) {
		t.Fatalf("version %v", ver)
	}
	if st := controlCall(t, s, "GET", "/__vkmock/nothing", nil, nil); st != 404 {
		t.Fatalf("unknown endpoint: %d", st)
	}
	if st := controlCall(t, s, "PUT", "/__vkmock/faults", nil, nil); st != 405 {
		t.Fatalf("PUT faults: %d", st)
	}
	if st := controlCall(t, s, "GET", "/other", nil, nil); st != 404 {
		t.Fatalf("other path: %d", st)
	}
}

func TestRequestLogAndNoSecrets(t *testing.T) {
	var logs syncbuf.Buffer
	clock := newFakeClock()
	s := testServer(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithClock(clock.Now), WithRequestLogSize(5))
	user := s.Tokens().Of(TokenUser).Token
	secrets := []string{user, "my-captcha-answer", "my-success-token", "my-client-secret", "my-lp-key", "my-sig"}
	call(t, s, "users.get", vals("v", "5.199", "access_token", user, "user_ids", "1", "captcha_sid", "77", "captcha_key", "my-captcha-answer",
		"success_token", "my-success-token", "client_secret", "my-client-secret", "key", "my-lp-key", "sig", "my-sig", "text", "pasted "+user))
	clock.Advance(time.Second)
	call(t, s, "users.get", vals("v", "5.199"))
	post(t, s, "users.get", vals("v", "5.199"), map[string]string{"Authorization": "Bearer " + user, "X-Vkmock-Error": "14"})

	var recs []map[string]any
	controlCall(t, s, "GET", "/__vkmock/requests", nil, &recs)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	raw, _ := json.Marshal(recs)
	for _, sec := range secrets {
		if strings.Contains(string(raw), sec) {
			t.Fatalf("request log leaks %q: %s", sec, raw)
		}
		if strings.Contains(logs.String(), sec) {
			t.Fatalf("log lines leak %q: %s", sec, logs.String())
		}
	}
	first := recs[0]
	// captcha_sid 77 was never issued: the answer is a fresh captcha.
	if first["method"] != "users.get" || first["token_kind"] != "user" || first["error_code"] != float64(14) || first["http_method"] != "GET" {
		t.Fatalf("first record %v", first)
	}
	if tm, _ := time.Parse(time.RFC3339Nano, first["time"].(string)); !tm.Equal(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("time %v", first["time"])
	}
	params := first["params"].([]any)
	got := map[string]string{}
	for _, p := range params {
		kv := p.(map[string]any)
		got[kv["key"].(string)] = kv["value"].(string)
	}
	if _, ok := got["access_token"]; ok {
		t.Fatal("access_token in the log")
	}
	if got["user_ids"] != "1" || got["captcha_sid"] != "77" || got["captcha_key"] != vkerr.Redacted || got["sig"] != vkerr.Redacted {
		t.Fatalf("params %v", got)
	}
	if recs[1]["error_code"].(float64) != 5 || recs[1]["token_kind"] != nil {
		t.Fatalf("second record %v", recs[1])
	}
	if recs[2]["error_code"].(float64) != 14 || recs[2]["token_kind"] != "user" {
		t.Fatalf("third record %v", recs[2])
	}
	if n := strings.Count(logs.String(), "vk request"); n != 3 {
		t.Fatalf("%d log lines:\n%s", n, logs.String())
	}
	// The log is bounded, newest last.
	for i := range 7 {
		call(t, s, "users.get", vals("v", "5.199", "n", jsonString(i)))
	}
	all := s.Requests().All()
	if len(all) != 5 {
		t.Fatalf("%d records kept, want 5", len(all))
	}
	if v := all[4].Params[0].Value; v != "6" {
		t.Fatalf("newest record is not last: %+v", all[4])
	}
}

func jsonString(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestConfig(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(`{
		"seed": 9,
		"https_only": false,
		"rate_limits": false,
		"apps": [{"id": 5, "disabled": true}],
		"tokens": [{"token": "bot-token", "kind": "group", "group_id": 7, "app_id": 5}],
		"faults": [{"method": "wall.*", "error": {"error_code": 9}, "suffix": "too much posts"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, WithConfig(cfg))
	if s.Seed() != 9 || s.Tokens().Of(TokenUser).Token != MustNew(WithSeed(9)).Tokens().Of(TokenUser).Token {
		t.Fatal("config seed not applied")
	}
	wantError(t, call(t, s, "messages.send", vals("v", "5.199", "access_token", "bot-token")), vkerr.Disabled, "")
	wantError(t, call(t, s, "wall.get", vals("v", "5.199")), vkerr.Flood, "Flood control: too much posts")
	for range 10 {
		if a := call(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token)); a.code() != 0 {
			t.Fatalf("rate_limits false: %s", a.body)
		}
	}
	// Reset keeps the configured state.
	s.Reset()
	if len(s.Faults().List()) != 1 || len(s.Tokens().All()) != 4 {
		t.Fatalf("after reset: %d faults, %d tokens", len(s.Faults().List()), len(s.Tokens().All()))
	}
	for _, bad := range []string{`{"sed": 1}`, `{"tokens": [{"kind": "x"}]}`, `{"faults": [{"effect": "boom"}]}`, `{} {}`, `[`} {
		c, err := ParseConfig(strings.NewReader(bad))
		if err == nil {
			_, err = New(WithConfig(c))
		}
		if err == nil {
			t.Errorf("config %s accepted", bad)
		}
	}
}

func TestResponses(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	get := func(method string, kv ...string) json.RawMessage {
		a := call(t, s, method, vals(append([]string{"v", "5.199", "access_token", user}, kv...)...))
		if a.code() != 0 {
			t.Fatalf("%s: %s", method, a.body)
		}
		if _, ok := a.raw["error"]; ok {
			t.Fatalf("response with error key: %s", a.body)
		}
		return a.env.Response
	}
	// Ids are echoed, one user per id.
	var users []struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(get("users.get", "user_ids", "5,6,7"), &users)
	if len(users) != 3 || users[0].ID != 5 || users[2].ID != 7 {
		t.Fatalf("users.get ids: %+v", users)
	}
	// Fields asked for are always there.
	var withFields []map[string]any
	_ = json.Unmarshal(get("users.get", "user_ids", "1,2", "fields", "photo_100,sex"), &withFields)
	for _, u := range withFields {
		if _, ok := u["photo_100"]; !ok {
			t.Fatalf("users.get fields=photo_100 without photo_100: %v", u)
		}
		if _, ok := u["sex"]; !ok {
			t.Fatalf("users.get fields=sex without sex: %v", u)
		}
	}
	// count limits items; count is at least offset plus items.
	var page struct {
		Count int               `json:"count"`
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(get("friends.get", "count", "7", "offset", "100"), &page)
	if len(page.Items) != 7 || page.Count < 107 {
		t.Fatalf("friends.get count=7: %d items, count %d", len(page.Items), page.Count)
	}
	_ = json.Unmarshal(get("friends.get", "count", "0"), &page)
	if len(page.Items) != 0 {
		t.Fatalf("count=0 gave %d items", len(page.Items))
	}
	// extended=1 selects the extended variant.
	var ext map[string]json.RawMessage
	_ = json.Unmarshal(get("wall.get", "extended", "1", "count", "2"), &ext)
	if _, ok := ext["profiles"]; !ok {
		t.Fatalf("wall.get extended=1 without profiles: %v", ext)
	}
	var plain map[string]json.RawMessage
	_ = json.Unmarshal(get("wall.get", "count", "2"), &plain)
	if _, ok := plain["profiles"]; ok {
		t.Fatalf("wall.get without extended has profiles")
	}
	// Same request, same answer; the token does not matter.
	a, b := get("wall.get", "count", "3", "filter", "owner"), get("wall.get", "filter", "owner", "count", "3")
	if !bytes.Equal(a, b) {
		t.Fatalf("same request, different answers:\n%s\n%s", a, b)
	}
	// Every variant is valid against its schema.
	m := s.schema.Method("wall.get")
	for _, v := range m.Variants() {
		body := get("wall.get", "extended", map[bool]string{true: "1", false: "0"}[v.Name() == "extendedResponse"])
		if err := v.Check(body, "wall.get"); err != nil {
			t.Fatalf("%s: %v", v.Name(), err)
		}
	}
	// Same-named fields echo the request.
	var post struct {
		PostID int64 `json:"post_id"`
	}
	_ = json.Unmarshal(get("wall.edit", "message", "hi", "post_id", "4242"), &post)
	if post.PostID != 4242 {
		t.Fatalf("wall.edit post_id not echoed: %+v", post)
	}
}

// TestConfigFile loads the example of the package documentation.
func TestConfigFile(t *testing.T) {
	c, err := LoadConfig("testdata/config.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(WithConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed() != 42 || len(s.Tokens().All()) != 5 || len(s.Faults().List()) != 2 || s.Tokens().Apps()[0].Installs != 50000 {
		t.Fatalf("seed %d, %d tokens, %d faults, apps %+v", s.Seed(), len(s.Tokens().All()), len(s.Faults().List()), s.Tokens().Apps())
	}
	if _, err := LoadConfig("testdata/missing.json"); err == nil {
		t.Fatal("missing file loaded")
	}
}
