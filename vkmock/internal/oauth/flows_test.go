package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/vkerr/vkerr"
)

func vkerrRedirect(u *url.URL) *vkerr.OAuthError { return vkerr.OAuthRedirectError(u) }

func decodeAnswer(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %s: %v", w.Body, err)
	}
	return m
}

// TestCodeFlowUser: /authorize → code and state → /access_token →
// access_token, expires_in 86400, user_id, email (asked); offline gives
// expires_in 0 and a token that never expires.
func TestCodeFlowUser(t *testing.T) {
	r := newRoom(t)
	client := url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "redirect_uri": {blank}}
	c := r.code(t, url.Values{"scope": {"messages,email"}, "state": {"s"}})
	ans := decodeAnswer(t, r.do(t, http.MethodPost, "/access_token", with(client, "code", c)))
	if ans["expires_in"] != 86400.0 || ans["user_id"] != 1001.0 || ans["email"] != "ann@example.com" {
		t.Fatalf("answer %v", ans)
	}
	g := r.tokens.grants[ans["access_token"].(string)]
	if g.Kind != vkerr.KindUser || g.AppID != appID || !g.Expires.Equal(r.clock().Add(DefaultTokenTTL)) || len(g.Scopes) != 2 {
		t.Fatalf("grant %+v", g)
	}
	c = r.code(t, url.Values{"scope": {"65536"}})
	ans = decodeAnswer(t, r.do(t, http.MethodGet, "/access_token", with(client, "code", c)))
	if ans["expires_in"] != 0.0 || ans["email"] != nil || !r.tokens.grants[ans["access_token"].(string)].Expires.IsZero() {
		t.Fatalf("offline answer %v", ans)
	}
}

// TestCodeFlowGroups: group_ids gives one access_token_GROUPID each.
func TestCodeFlowGroups(t *testing.T) {
	r := newRoom(t)
	c := r.code(t, url.Values{"group_ids": {"5,7"}, "scope": {"messages,manage"}})
	ans := decodeAnswer(t, r.do(t, http.MethodPost, "/access_token", url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "redirect_uri": {blank}, "code": {c}}))
	for _, gid := range []int64{5, 7} {
		tok, _ := ans["access_token_"+itoa(gid)].(string)
		g := r.tokens.grants[tok]
		if g.Kind != vkerr.KindGroup || g.GroupID != gid || len(g.Scopes) != 2 {
			t.Fatalf("group %d: %v / %+v", gid, ans, g)
		}
	}
	if ans["expires_in"] != 0.0 {
		t.Errorf("expires_in %v", ans["expires_in"])
	}
	w := r.do(t, http.MethodGet, "/authorize", url.Values{"client_id": {"51000001"}, "group_ids": {"1,x"}, "state": {"s"}})
	loc, _ := url.Parse(w.Header().Get("Location"))
	if loc.Query().Get("error") != "invalid_request" {
		t.Errorf("bad group_ids: %s", loc.Redacted())
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestImplicitFlow: response_type=token puts the token in the fragment.
func TestImplicitFlow(t *testing.T) {
	r := newRoom(t)
	w := r.do(t, http.MethodGet, "/authorize", url.Values{"client_id": {"51000001"}, "response_type": {"token"}, "scope": {"wall"}, "state": {"z"}})
	loc, _ := url.Parse(w.Header().Get("Location"))
	f, _ := url.ParseQuery(loc.Fragment)
	if loc.Path != "/blank.html" || f.Get("access_token") == "" || f.Get("expires_in") != "86400" || f.Get("user_id") != "1001" || f.Get("state") != "z" || loc.RawQuery != "" {
		t.Fatalf("implicit redirect %q", loc.Redacted())
	}
	if w := r.do(t, http.MethodGet, "/blank.html", nil); w.Code != 200 {
		t.Errorf("blank.html: %d", w.Code)
	}
}

// TestClientCredentials: a service token that never expires, at both
// endpoints.
func TestClientCredentials(t *testing.T) {
	r := newRoom(t)
	for _, path := range []string{"/access_token", "/token"} {
		ans := decodeAnswer(t, r.do(t, http.MethodPost, path, url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "grant_type": {"client_credentials"}}))
		g := r.tokens.grants[ans["access_token"].(string)]
		if g.Kind != vkerr.KindService || g.AppID != appID || ans["expires_in"] != 0.0 {
			t.Fatalf("%s: %v / %+v", path, ans, g)
		}
	}
}

// TestBadRequests: methods, sizes and malformed parameters get an OAuth
// error, never a panic.
func TestBadRequests(t *testing.T) {
	r := newRoom(t)
	req := httptest.NewRequest(http.MethodDelete, "http://oauth.test/token", nil)
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	checkErrorBody(t, w, http.StatusMethodNotAllowed, "invalid_request", "")
	req = httptest.NewRequest(http.MethodGet, "http://oauth.test/token?a=%zz", nil)
	w = httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	checkErrorBody(t, w, http.StatusBadRequest, "invalid_request", "malformed parameters")
}
