package vkmock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// oauthGet sends a request to the mock without following redirects and
// returns the status, the Location and the body.
func oauthDo(t *testing.T, s *vkmock.Server, method, path string, q url.Values) (int, *url.URL, []byte) {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequest(method, s.URL()+path, strings.NewReader(q.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, s.URL()+path+"?"+q.Encode(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	hc := *s.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc, _ := resp.Location()
	return resp.StatusCode, loc, body
}

// oauthToken runs the authorization code flow of the default app and
// returns the answer's fields.
func oauthToken(t *testing.T, s *vkmock.Server, scope string) map[string]any {
	t.Helper()
	app := s.OAuth().Apps()[0]
	redirect := s.URL() + "/blank.html"
	st, loc, body := oauthDo(t, s, http.MethodGet, "/authorize", url.Values{"client_id": {"51000001"}, "redirect_uri": {redirect}, "scope": {scope}, "state": {"s1"}})
	if st != http.StatusFound || loc.Query().Get("state") != "s1" {
		t.Fatalf("authorize: %d %s", st, body)
	}
	st, _, body = oauthDo(t, s, http.MethodPost, "/access_token", url.Values{"client_id": {"51000001"}, "client_secret": {app.Secret}, "redirect_uri": {redirect}, "code": {loc.Query().Get("code")}})
	if st != http.StatusOK {
		t.Fatalf("access_token: %d %s", st, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func apiCode(t *testing.T, s *vkmock.Server, method, token string, extra url.Values) vkerr.Code {
	t.Helper()
	q := url.Values{"access_token": {token}, "v": {"5.199"}}
	for k, v := range extra {
		q[k] = v
	}
	_, _, body := oauthDo(t, s, http.MethodPost, "/method/"+method, q)
	env, err := vkerr.DecodeEnvelope(body)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	if env.Error != nil {
		return env.Error.Code
	}
	return 0
}

// TestOAuthTokensAreRealTokens: a token of the OAuth room calls the API
// with the rights granted (15 outside them), expires after expires_in on
// the mock's clock unless offline, and is revoked by the control API.
func TestOAuthTokensAreRealTokens(t *testing.T) {
	s := vkmocktest.NewServer(t)
	ans := oauthToken(t, s, "friends")
	tok := ans["access_token"].(string)
	if ans["expires_in"] != 86400.0 || ans["user_id"] != float64(vkmock.DefaultUserID) {
		t.Fatalf("answer %v", ans)
	}
	if c := apiCode(t, s, "users.get", tok, nil); c != 0 {
		t.Fatalf("users.get: %d", c)
	}
	if c := apiCode(t, s, "messages.getConversations", tok, nil); c != vkerr.Access {
		t.Fatalf("messages.getConversations without the messages right: %d, want 15", c)
	}
	withMessages := oauthToken(t, s, "messages,offline")["access_token"].(string)
	if c := apiCode(t, s, "messages.getConversations", withMessages, nil); c != 0 {
		t.Fatalf("messages.getConversations with the right: %d", c)
	}
	s.Clock().Advance(24 * time.Hour)
	if c := apiCode(t, s, "users.get", tok, nil); c != vkerr.Auth {
		t.Fatalf("after expires_in: %d, want 5", c)
	}
	if c := apiCode(t, s, "users.get", withMessages, nil); c != 0 {
		t.Fatalf("offline token after a day: %d", c)
	}
	st, _, body := oauthDo(t, s, http.MethodPost, "/__vkmock/oauth/revoke", nil)
	if st != http.StatusBadRequest {
		t.Fatalf("revoke without a token: %d %s", st, body)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/__vkmock/oauth/revoke", strings.NewReader(`{"token":"`+withMessages+`"}`))
	resp, err := s.HTTPClient().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	resp.Body.Close()
	if c := apiCode(t, s, "users.get", withMessages, nil); c != vkerr.Auth {
		t.Fatalf("revoked: %d, want 5", c)
	}
}

// TestOAuthFaults: fault rules reach the endpoints by oauth.* names.
func TestOAuthFaults(t *testing.T) {
	s := vkmocktest.NewServer(t)
	if _, err := s.Faults().Add(vkmock.Fault{Method: "oauth.access_token", HTTPStatus: 502, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Faults().Add(vkmock.Fault{Method: "oauth.token", Error: &vkerr.Error{Code: vkerr.Server}, Times: 1}); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"client_id": {"51000001"}, "client_secret": {s.OAuth().Apps()[0].Secret}, "grant_type": {"client_credentials"}}
	st, _, body := oauthDo(t, s, http.MethodPost, "/access_token", q)
	if st != 502 || !strings.Contains(string(body), "<html>") {
		t.Fatalf("http_status rule: %d %s", st, body)
	}
	st, _, body = oauthDo(t, s, http.MethodPost, "/token", q)
	_, err := vkerr.DecodeOAuth(body)
	if oe, ok := err.(*vkerr.OAuthError); st != 500 || !ok || oe.Type != "server_error" {
		t.Fatalf("error rule: %d %s", st, body)
	}
	// The rules fired once each: the endpoints answer again.
	for _, path := range []string{"/access_token", "/token"} {
		if st, _, body := oauthDo(t, s, http.MethodPost, path, q); st != 200 {
			t.Fatalf("%s after the rules: %d %s", path, st, body)
		}
	}
}

// TestOAuthControl: the control API lists the room and flips the deny
// switch; Reset brings the room back.
func TestOAuthControl(t *testing.T) {
	s := vkmocktest.NewServer(t)
	_, _, body := oauthDo(t, s, http.MethodGet, "/__vkmock/oauth", nil)
	var room struct {
		Apps     []vkmock.OAuthApp     `json:"apps"`
		Accounts []vkmock.OAuthAccount `json:"accounts"`
	}
	if err := json.Unmarshal(body, &room); err != nil || len(room.Apps) != 1 || room.Apps[0].Secret == "" || len(room.Accounts) != 2 || room.Accounts[1].TwoFA != "2fa_app" {
		t.Fatalf("GET /__vkmock/oauth: %v %s", err, body)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/__vkmock/oauth/deny", strings.NewReader(`{"deny":true}`))
	resp, err := s.HTTPClient().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("deny: %v %v", resp, err)
	}
	resp.Body.Close()
	st, loc, _ := oauthDo(t, s, http.MethodGet, "/authorize", url.Values{"client_id": {"51000001"}})
	if st != http.StatusFound || loc.Query().Get("error") != "access_denied" {
		t.Fatalf("deny: %d %v", st, loc)
	}
	s.Reset()
	st, loc, _ = oauthDo(t, s, http.MethodGet, "/authorize", url.Values{"client_id": {"51000001"}})
	if st != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("after Reset: %d %v", st, loc)
	}
}

// TestOAuthRequestLog: the OAuth endpoints' requests are in the request
// log, under their fault names, secrets masked, with the status sent and
// the rules that fired.
func TestOAuthRequestLog(t *testing.T) {
	s := vkmocktest.NewServer(t)
	id, err := s.Faults().Add(vkmock.Fault{Method: "oauth.access_token", LatencyMS: 1, Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	secret := s.OAuth().Apps()[0].Secret
	oauthToken(t, s, "friends")
	oauthDo(t, s, http.MethodPost, "/token", url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "grant_type": {"password"}, "username": {vkmock.DefaultLogin}, "password": {"wrong-password-1"}})
	auth := s.Requests().Of("oauth.authorize")
	tok := s.Requests().Of("oauth.access_token")
	direct := s.Requests().Of("oauth.token")
	if len(auth) != 1 || auth[0].HTTPStatus != http.StatusFound || len(tok) != 1 || tok[0].HTTPStatus != 200 || tok[0].Fault != id || len(direct) != 1 || direct[0].HTTPStatus != 401 {
		t.Fatalf("log: %+v %+v %+v", auth, tok, direct)
	}
	b, _ := json.Marshal(s.Requests().All())
	for _, leak := range []string{secret, "wrong-password-1"} {
		if strings.Contains(string(b), leak) {
			t.Fatalf("the request log shows a secret: %s", b)
		}
	}
	for _, p := range tok[0].Params {
		if p.Key == "code" && p.Value != vkerr.Redacted {
			t.Fatalf("code logged: %+v", p)
		}
	}
}
