package oauth

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// fakeTokens records the grants and makes tokens of them.
type fakeTokens struct {
	mu     sync.Mutex
	grants map[string]Grant
	fail   error // when set, Issue answers it
}

func (f *fakeTokens) Issue(g Grant) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	if f.grants == nil {
		f.grants = map[string]Grant{}
	}
	tok := "vk1.a.fake" + strings.Repeat("x", len(f.grants)+1)
	f.grants[tok] = g
	return tok, nil
}

const (
	appID  = 51000001
	secret = "Qw3rTy7UiOp2AsDfGh1J"
	blank  = "http://oauth.test/blank.html"
)

type room struct {
	h      *Handler
	tokens *fakeTokens
	now    time.Time
	mu     sync.Mutex
}

func (r *room) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *room) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func newRoom(t *testing.T) *room {
	t.Helper()
	r := &room{tokens: &fakeTokens{}, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h, err := New(Config{
		Tokens: r.tokens, Clock: r.clock, Seed: 7,
		Apps: []App{
			{ID: appID, Secret: secret, Trusted: true},
			{ID: 42, Secret: "UntrustedAppSecret42", RedirectURIs: []string{"https://app.example/cb/"}},
		},
		Accounts: []Account{
			{UserID: 1001, Login: "ann", Password: "pw-ann-1", Email: "ann@example.com"},
			{UserID: 1002, Login: "bob", Password: "pw-bob-2", TwoFA: TwoFAApp, PhoneMask: "+7 *** *** ** 02"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	return r
}

func (r *room) do(t *testing.T, method, path string, q url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, "http://oauth.test"+path, strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://oauth.test"+path+"?"+q.Encode(), nil)
	}
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	return w
}

// oauthKeys are the fields of VK's OAuth error bodies (../shared/spec
// section 6, vk-io's DirectAuthorization).
var oauthKeys = []string{"error", "error_type", "error_description", "captcha_sid", "captcha_img", "validation_type", "validation_sid", "phone_mask", "redirect_uri"}

// checkErrorBody checks a body against VK's shape: a JSON object of
// oauthKeys, all strings, that vkerr decodes as an *OAuthError of the
// type, and that vkerr.Inspect recognises as OAuth's.
func checkErrorBody(t *testing.T, w *httptest.ResponseRecorder, status int, typ, desc string) *vkerr.OAuthError {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %s", w.Body)
	}
	for k, v := range m {
		if !slices.Contains(oauthKeys, k) {
			t.Errorf("field %q is not one of VK's OAuth error fields", k)
		}
		if _, ok := v.(string); !ok {
			t.Errorf("field %q is %T, want a string", k, v)
		}
	}
	_, err := vkerr.DecodeOAuth(w.Body.Bytes())
	oe, ok := err.(*vkerr.OAuthError)
	if !ok {
		t.Fatalf("DecodeOAuth: %T %v, want *vkerr.OAuthError", err, err)
	}
	if oe.Type != typ || desc != "" && oe.Description != desc {
		t.Errorf("got %s / %q, want %s / %q", oe.Type, oe.Description, typ, desc)
	}
	if rep, _ := vkerr.Inspect(w.Body.Bytes()); rep == nil || rep.Shape != vkerr.ShapeOAuth {
		t.Errorf("vkerr.Inspect does not see an OAuth answer in %s", w.Body)
	}
	return oe
}

func with(q url.Values, kv ...string) url.Values {
	out := maps.Clone(q)
	if out == nil {
		out = url.Values{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// code runs /authorize and returns the code of the redirect.
func (r *room) code(t *testing.T, q url.Values) string {
	t.Helper()
	w := r.do(t, http.MethodGet, "/authorize", with(url.Values{"client_id": {"51000001"}, "redirect_uri": {blank}, "response_type": {"code"}}, flatten(q)...))
	if w.Code != http.StatusFound {
		t.Fatalf("authorize: %d %s", w.Code, w.Body)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	c := loc.Query().Get("code")
	if c == "" {
		t.Fatalf("authorize: no code in %s", loc.Redacted())
	}
	return c
}

func flatten(q url.Values) []string {
	var out []string
	for k, vs := range q {
		out = append(out, k, vs[0])
	}
	return out
}
