package vkmock

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// The tests of this file follow the documented order of the checks.

func TestTransport(t *testing.T) {
	s := testServer(t, WithMaxBodyBytes(1024), WithMaxParams(50))
	user := s.Tokens().Of(TokenUser).Token

	t.Run("verb", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, s.URL()+"/method/users.get?v=5.199", nil)
		a := do(t, s, req)
		wantError(t, a, vkerr.NotSupportedHTTPMethod, base(vkerr.NotSupportedHTTPMethod))
	})
	t.Run("body too large", func(t *testing.T) {
		body := "v=5.199&access_token=" + user + "&message=" + strings.Repeat("x", 2048)
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/method/users.get", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		a := do(t, s, req)
		wantError(t, a, vkerr.Request, "Invalid request: request is too large")
	})
	t.Run("too many params", func(t *testing.T) {
		v := vals("v", "5.199", "access_token", user)
		for i := range 60 {
			v.Set(fmt.Sprintf("p%d", i), "1")
		}
		a := post(t, s, "users.get", v, nil)
		wantError(t, a, vkerr.Request, "Invalid request: too many parameters")
		if a.env.Error.RequestParams != nil {
			t.Fatalf("request_params echoed for too many parameters")
		}
	})
	t.Run("malformed query", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/method/users.get?v=5.199&x=%zz", nil)
		a := do(t, s, req)
		wantError(t, a, vkerr.Request, "Invalid request: malformed request body")
	})
	t.Run("multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("v", "5.199")
		_ = mw.WriteField("access_token", user)
		_ = mw.WriteField("user_ids", "1,2")
		fw, _ := mw.CreateFormFile("file", "a.txt")
		_, _ = fw.Write([]byte("file content is not a parameter"))
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/method/users.get", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		a := do(t, s, req)
		if a.code() != 0 {
			t.Fatalf("multipart: %s", a.body)
		}
		var users []map[string]any
		if err := jsonUnmarshal(a.env.Response, &users); err != nil || len(users) != 2 {
			t.Fatalf("users.get with user_ids=1,2 gave %s (%v)", a.env.Response, err)
		}
	})
	t.Run("query and body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/method/users.get?v=5.199", strings.NewReader("access_token="+user))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if a := do(t, s, req); a.code() != 0 {
			t.Fatalf("query v and body token: %s", a.body)
		}
	})
	t.Run("json body is not read", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/method/users.get", strings.NewReader(`{"v":"5.199"}`))
		req.Header.Set("Content-Type", "application/json")
		wantError(t, do(t, s, req), vkerr.Request, "Invalid request: v is required")
	})
}

func TestCheck2VersionRequired(t *testing.T) {
	s := testServer(t)
	// v comes first: even an unknown method without a token gets 8.
	a := call(t, s, "no.suchMethod", nil)
	wantError(t, a, vkerr.Request, "Invalid request: v is required")
	a = call(t, s, "users.get", vals("user_ids", "1", "v", ""))
	wantError(t, a, vkerr.Request, "Invalid request: v is required")
	if got := a.env.Error.RequestParams.Method(); got != "users.get" {
		t.Fatalf("request_params method %q", got)
	}
	if v, ok := a.env.Error.RequestParams.Get("user_ids"); !ok || v != "1" {
		t.Fatalf("request_params does not echo user_ids: %s", a.body)
	}
}

func TestCheck3UnknownMethod(t *testing.T) {
	s := testServer(t)
	for _, name := range []string{"Users.get", "users.Get", "users.get2", "nosuch", ""} {
		// Unknown methods are reported before the token is looked at.
		a := call(t, s, name, vals("v", "5.199", "access_token", "bogus"))
		wantError(t, a, vkerr.Method, "Unknown method passed")
		if _, ok := a.env.Error.RequestParams.Get("oauth"); !ok {
			t.Fatalf("no oauth=1 in request_params: %s", a.body)
		}
		if _, ok := a.env.Error.RequestParams.Get("access_token"); ok {
			t.Fatalf("access_token echoed: %s", a.body)
		}
	}
	a := call(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token))
	if a.code() != 0 {
		t.Fatalf("users.get: %s", a.body)
	}
}

func TestCheck4Token(t *testing.T) {
	s := testServer(t)
	mk := func(state TokenState) string {
		tok, err := s.Tokens().Create(Token{Kind: TokenUser, State: state})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	cases := []struct {
		name  string
		token string
		code  vkerr.Code
		msg   string
	}{
		{"missing", "", vkerr.Auth, "User authorization failed: no access_token passed."},
		{"unknown", "vk1.a.nosuchtoken", vkerr.Auth, "User authorization failed: invalid access_token (4)."},
		{"expired", mk(StateExpired), vkerr.Auth, "User authorization failed: access_token has expired."},
		{"revoked", mk(StateRevoked), vkerr.Auth, "User authorization failed: invalid session."},
		{"banned", mk(StateBanned), vkerr.Auth, "User authorization failed: user is blocked."},
		{"deactivated", mk(StateDeactivated), vkerr.UserDeactivated, "User is deactivated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := vals("v", "5.199", "user_ids", "1")
			if c.token != "" {
				v.Set("access_token", c.token)
			}
			// A bad parameter too: the token is checked first.
			v.Set("name_case", "nonsense")
			a := call(t, s, "users.get", v)
			wantError(t, a, c.code, c.msg)
			if c.name == "banned" {
				bi := a.env.Error.BanInfo
				if bi == nil || bi.MemberName == "" || bi.Message == "" {
					t.Fatalf("banned: no ban_info: %s", a.body)
				}
			}
		})
	}
	t.Run("bearer header", func(t *testing.T) {
		a := post(t, s, "users.get", vals("v", "5.199"), map[string]string{"Authorization": "Bearer " + s.Tokens().Of(TokenUser).Token})
		if a.code() != 0 {
			t.Fatalf("bearer: %s", a.body)
		}
		a = post(t, s, "users.get", vals("v", "5.199"), map[string]string{"Authorization": "Bearer nope"})
		wantError(t, a, vkerr.Auth, "User authorization failed: invalid access_token (4).")
	})
	t.Run("open method", func(t *testing.T) {
		// auth.restore is open: no token needed, so validation comes next.
		a := call(t, s, "auth.restore", vals("v", "5.199"))
		wantError(t, a, vkerr.Param, "One of the parameters specified was missing or invalid: phone is undefined")
		a = call(t, s, "auth.restore", vals("v", "5.199", "phone", "+70000000000", "last_name", "Ivanov"))
		if a.code() != 0 {
			t.Fatalf("auth.restore: %s", a.body)
		}
	})
	t.Run("state change", func(t *testing.T) {
		tok := mk(StateValid)
		if a := call(t, s, "users.get", vals("v", "5.199", "access_token", tok)); a.code() != 0 {
			t.Fatalf("valid token: %s", a.body)
		}
		if err := s.Tokens().SetState(tok, StateExpired); err != nil {
			t.Fatal(err)
		}
		wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", tok)), vkerr.Auth, "User authorization failed: access_token has expired.")
		if err := s.Tokens().SetState("nope", StateValid); err == nil {
			t.Fatal("SetTokenState of an unknown token succeeded")
		}
		if err := s.Tokens().SetState(tok, "weird"); err == nil {
			t.Fatal("SetTokenState to an unknown state succeeded")
		}
	})
}

func TestCheck5AppAndTestMode(t *testing.T) {
	s := testServer(t)
	if err := s.Tokens().SetApp(App{ID: 777, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	user, _ := s.Tokens().Create(Token{Kind: TokenUser, AppID: 777})
	group, _ := s.Tokens().Create(Token{Kind: TokenGroup, AppID: 777})
	enabledGroup := s.Tokens().Of(TokenGroup).Token

	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", user.Token, "name_case", "bad")), vkerr.Disabled, base(vkerr.Disabled))
	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", group.Token)), vkerr.Disabled, base(vkerr.Disabled))
	// test_mode=1 lets a disabled app through.
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", user.Token, "test_mode", "1")); a.code() != 0 {
		t.Fatalf("disabled app in test mode: %s", a.body)
	}
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", group.Token, "test_mode", "1")); a.code() != 0 {
		t.Fatalf("disabled app in test mode, group token: %s", a.body)
	}
	// test_mode=1 with an enabled app needs an authorized user.
	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", enabledGroup, "test_mode", "1")), vkerr.EnabledInTest, base(vkerr.EnabledInTest))
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token, "test_mode", "1")); a.code() != 0 {
		t.Fatalf("enabled app, user token, test mode: %s", a.body)
	}
	if err := s.Tokens().SetApp(App{ID: 0}); err == nil {
		t.Fatal("SetApp with id 0 succeeded")
	}
}

func TestCheck6HTTPSOnly(t *testing.T) {
	plain := testServer(t, WithHTTPSOnly(true))
	user := plain.Tokens().Of(TokenUser).Token
	// 16 comes after the token checks and before the kind check.
	wantError(t, call(t, plain, "users.get", vals("v", "5.199", "access_token", user)), vkerr.AuthHTTPS, "HTTP authorization failed")
	wantError(t, call(t, plain, "users.get", vals("v", "5.199", "access_token", "bogus")), vkerr.Auth, "")
	wantError(t, call(t, plain, "secure.getUserLevel", vals("v", "5.199", "access_token", user)), vkerr.AuthHTTPS, "")
	plain.SetHTTPSOnly(false)
	if a := call(t, plain, "users.get", vals("v", "5.199", "access_token", user)); a.code() != 0 {
		t.Fatalf("HTTPS-only off: %s", a.body)
	}

	tls := testServer(t, WithHTTPSOnly(true), WithTLS())
	if !strings.HasPrefix(tls.URL(), "https://") {
		t.Fatalf("WithTLS URL %s", tls.URL())
	}
	if a := call(t, tls, "users.get", vals("v", "5.199", "access_token", tls.Tokens().Of(TokenUser).Token)); a.code() != 0 {
		t.Fatalf("HTTPS request to HTTPS-only server: %s", a.body)
	}
}

func TestCheck7TokenKind(t *testing.T) {
	s := testServer(t)
	user, group, service := s.Tokens().Of(TokenUser).Token, s.Tokens().Of(TokenGroup).Token, s.Tokens().Of(TokenService).Token
	// account.getInfo: user only. messages.send: user and group.
	// secure.getUserLevel: service only. groups.getTokenPermissions: group only.
	wantError(t, call(t, s, "account.getInfo", vals("v", "5.199", "access_token", group, "fields", "???")), vkerr.GroupAuth, "Group authorization failed: method is unavailable with group auth.")
	wantError(t, call(t, s, "messages.send", vals("v", "5.199", "access_token", service)), vkerr.AppAuth, "Application authorization failed: method is unavailable with service token.")
	wantError(t, call(t, s, "secure.getUserLevel", vals("v", "5.199", "access_token", user)), vkerr.Access, "Access denied: no access to call this method")
	wantError(t, call(t, s, "groups.getTokenPermissions", vals("v", "5.199", "access_token", user)), vkerr.Access, "")
	wantError(t, call(t, s, "secure.getUserLevel", vals("v", "5.199", "access_token", group)), vkerr.GroupAuth, "")
	if a := call(t, s, "groups.getTokenPermissions", vals("v", "5.199", "access_token", group)); a.code() != 0 {
		t.Fatalf("group token on a group method: %s", a.body)
	}
	if a := call(t, s, "secure.getUserLevel", vals("v", "5.199", "access_token", service, "user_ids", "1,2")); a.code() != 0 {
		t.Fatalf("service token on secure: %s", a.body)
	}
	// bugtracker.* has no kinds in the schema: user tokens work.
	if a := call(t, s, "bugtracker.getCompanyMembers", vals("v", "5.199", "access_token", user, "company_id", "1")); a.code() == vkerr.Access || a.code() == vkerr.GroupAuth {
		t.Fatalf("bugtracker with a user token: %s", a.body)
	}
}

func TestCheck8Params(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	service := s.Tokens().Of(TokenService).Token
	prefix := "One of the parameters specified was missing or invalid: "
	long := strings.TrimSuffix(strings.Repeat("1,", 1001), ",")
	cases := []struct {
		method string
		token  string
		params url.Values
		detail string // "" for success
	}{
		{"friends.areFriends", user, vals(), "user_ids is undefined"},
		{"friends.areFriends", user, vals("user_ids", ""), "user_ids is undefined"},
		{"friends.areFriends", user, vals("user_ids", "1,x"), "user_ids not integer"},
		{"friends.areFriends", user, vals("user_ids", long), "user_ids has too many items, max 1000"},
		{"friends.areFriends", user, vals("user_ids", "1,2,3"), ""},
		{"users.getFollowers", user, vals("count", "abc"), "count not integer"},
		{"users.getFollowers", user, vals("count", "99999999999999999999999"), "count not integer"},
		{"users.getFollowers", user, vals("count", "-1"), "count should be greater or equal to 0"},
		{"users.getFollowers", user, vals("count", "1001"), "count should be less or equal to 1000"},
		{"users.getFollowers", user, vals("name_case", "xyz"), "name_case is invalid"},
		{"users.getFollowers", user, vals("name_case", "nom"), ""},
		{"users.get", user, vals("fields", "photo_100,nonsense"), "fields is invalid"},
		{"users.get", user, vals("fields", "photo_100,screen_name"), ""},
		{"messages.getHistory", user, vals("extended", "maybe"), "extended is invalid"},
		{"messages.getHistory", user, vals("extended", "1", "count", "200"), ""},
		{"secure.sendNotification", service, vals("user_ids", "1"), "message is undefined"},
		{"users.get", user, vals("lang", "\xff\xfe"), "lang is invalid"},
		{"wall.getById", user, vals("posts", "1_2,abc"), "posts is invalid"},
		{"wall.getById", user, vals("posts", "1_2,-3_4"), ""},
	}
	for _, c := range cases {
		t.Run(c.method+"/"+c.detail, func(t *testing.T) {
			v := c.params
			v.Set("v", "5.199")
			v.Set("access_token", c.token)
			a := post(t, s, c.method, v, nil)
			if c.detail == "" {
				if a.code() != 0 {
					t.Fatalf("want a response, got %s", a.body)
				}
				return
			}
			wantError(t, a, vkerr.Param, prefix+c.detail)
		})
	}
}

func TestCheck9RateLimit(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now))
	user, group, service := s.Tokens().Of(TokenUser).Token, s.Tokens().Of(TokenGroup).Token, s.Tokens().Of(TokenService).Token
	ok := func(tok, method string, extra ...string) bool {
		t.Helper()
		v := vals(append([]string{"v", "5.199", "access_token", tok}, extra...)...)
		a := call(t, s, method, v)
		switch a.code() {
		case 0:
			return true
		case vkerr.TooMany:
			wantError(t, a, vkerr.TooMany, "Too many requests per second")
			return false
		}
		t.Fatalf("unexpected answer %s", a.body)
		return false
	}
	// A rolling window: 3 at t=0, 0.5, 0.9.
	for i, at := range []time.Duration{0, 500, 400} {
		clock.Advance(at * time.Millisecond)
		if !ok(user, "users.get") {
			t.Fatalf("request %d refused", i)
		}
	}
	if ok(user, "users.get") { // t=0.9: a 4th within the second
		t.Fatal("4th request in a second accepted")
	}
	clock.Advance(99 * time.Millisecond) // t=0.999
	if ok(user, "users.get") {
		t.Fatal("accepted at 0.999 s")
	}
	clock.Advance(1 * time.Millisecond) // t=1.0: the request of t=0 leaves
	if !ok(user, "users.get") {
		t.Fatal("refused at 1.0 s")
	}
	clock.Advance(200 * time.Millisecond) // t=1.2: 0.5, 0.9, 1.0 are inside
	if ok(user, "users.get") {
		t.Fatal("accepted at 1.2 s")
	}
	clock.Advance(300 * time.Millisecond) // t=1.5: 0.5 leaves
	if !ok(user, "users.get") {
		t.Fatal("refused at 1.5 s")
	}
	// Other tokens have windows of their own; refused requests never
	// counted.
	n := 0
	for range 25 {
		if ok(group, "users.get") {
			n++
		}
	}
	if n != 20 {
		t.Fatalf("group token: %d of 25 accepted, want 20", n)
	}
	n = 0
	for range 10 {
		if ok(service, "users.get") {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("service token: %d accepted, want 3", n)
	}
	// secure.* is counted apart, 5 a second for a small app.
	n = 0
	for range 10 {
		if ok(service, "secure.getUserLevel", "user_ids", "1") {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("secure tier: %d accepted, want 5", n)
	}
	// Bigger apps get higher tiers.
	for _, c := range []struct {
		installs int64
		want     int
	}{{50_000, 8}, {500_000, 20}, {5_000_000, 35}} {
		_ = s.Tokens().SetApp(App{ID: 900 + c.installs, Installs: c.installs})
		tok, _ := s.Tokens().Create(Token{Kind: TokenService, AppID: 900 + c.installs})
		n = 0
		for range c.want + 5 {
			if ok(tok.Token, "secure.getUserLevel", "user_ids", "1") {
				n++
			}
		}
		if n != c.want {
			t.Fatalf("%d installs: %d accepted, want %d", c.installs, n, c.want)
		}
	}
	// ads.* is not limited by error 6.
	for range 6 {
		a := call(t, s, "ads.getAccounts", vals("v", "5.199", "access_token", user))
		if a.code() == vkerr.TooMany {
			t.Fatal("ads.* rate limited")
		}
	}
	// After a second everything passes again.
	clock.Advance(time.Second)
	if !ok(user, "users.get") || !ok(group, "users.get") {
		t.Fatal("refused after a quiet second")
	}
	s.SetRateLimits(false)
	for range 10 {
		if !ok(user, "users.get") {
			t.Fatal("refused with rate limits off")
		}
	}
}
