package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// TestTokenEndpointErrors: each error of /access_token and /token, with
// VK's HTTP status and body.
func TestTokenEndpointErrors(t *testing.T) {
	client := url.Values{"client_id": {"51000001"}, "client_secret": {secret}}
	direct := with(client, "grant_type", "password", "username", "ann", "password", "pw-ann-1")
	tests := []struct {
		name, path string
		q          url.Values
		status     int
		typ, desc  string
	}{
		{"no client_id", "/access_token", with(client, "client_id", ""), 401, "invalid_client", "client_id is undefined"},
		{"unknown client_id", "/access_token", with(client, "client_id", "77"), 401, "invalid_client", "client_id is incorrect"},
		{"no secret", "/access_token", with(client, "client_secret", ""), 401, "invalid_client", "client_secret is undefined"},
		{"wrong secret", "/access_token", with(client, "client_secret", "Wrong0SecretValue123"), 401, "invalid_client", "client_secret is incorrect"},
		{"no code", "/access_token", client, 400, "invalid_request", "code is undefined"},
		{"unknown code", "/access_token", with(client, "code", "0123456789abcdef01", "redirect_uri", blank), 400, "invalid_grant", "Code is invalid or expired."},
		{"grant type", "/access_token", with(client, "grant_type", "refresh_token"), 400, "unsupported_grant_type", ""},
		{"token grant type", "/token", with(client, "grant_type", "implicit"), 400, "unsupported_grant_type", ""},
		{"direct wrong secret", "/token", with(direct, "client_secret", "Wrong0SecretValue123"), 401, "invalid_client", "client_secret is incorrect"},
		{"direct untrusted", "/token", with(direct, "client_id", "42", "client_secret", "UntrustedAppSecret42"), 401, "unauthorized_client", ""},
		{"direct no password", "/token", with(direct, "password", ""), 400, "invalid_request", ""},
		{"direct wrong password", "/token", with(direct, "password", "nope"), 401, "invalid_client", "Username or password is incorrect"},
		{"direct unknown login", "/token", with(direct, "username", "nobody"), 401, "invalid_client", "Username or password is incorrect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom(t)
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				oe := checkErrorBody(t, r.do(t, m, tc.path, tc.q), tc.status, tc.typ, tc.desc)
				if tc.name == "direct wrong password" && oe.ErrorType != "username_or_password_is_incorrect" {
					t.Errorf("error_type %q", oe.ErrorType)
				}
			}
			if len(r.tokens.grants) != 0 {
				t.Errorf("a failed request issued %d tokens", len(r.tokens.grants))
			}
		})
	}
}

// TestCodeErrors: a code works once, for an hour of the mock's clock,
// for its app and with the redirect_uri of /authorize.
func TestCodeErrors(t *testing.T) {
	client := url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "redirect_uri": {blank}}
	t.Run("reused", func(t *testing.T) {
		r := newRoom(t)
		c := r.code(t, nil)
		if w := r.do(t, http.MethodPost, "/access_token", with(client, "code", c)); w.Code != 200 {
			t.Fatalf("first use: %d %s", w.Code, w.Body)
		}
		checkErrorBody(t, r.do(t, http.MethodPost, "/access_token", with(client, "code", c)), 400, "invalid_grant", "Code is invalid or expired.")
	})
	t.Run("expired", func(t *testing.T) {
		r := newRoom(t)
		c := r.code(t, nil)
		r.advance(DefaultCodeTTL)
		checkErrorBody(t, r.do(t, http.MethodPost, "/access_token", with(client, "code", c)), 400, "invalid_grant", "Code is invalid or expired.")
	})
	t.Run("redirect_uri differs", func(t *testing.T) {
		r := newRoom(t)
		c := r.code(t, nil)
		checkErrorBody(t, r.do(t, http.MethodPost, "/access_token", with(client, "code", c, "redirect_uri", "https://elsewhere.example/")), 400,
			"invalid_grant", "redirect_uri is invalid, please pass same redirect_uri, you used in authorize method.")
		// The code survives a wrong redirect_uri: the right one still works.
		if w := r.do(t, http.MethodPost, "/access_token", with(client, "code", c)); w.Code != 200 {
			t.Fatalf("after a wrong redirect_uri: %d %s", w.Code, w.Body)
		}
	})
	t.Run("another app", func(t *testing.T) {
		r := newRoom(t)
		w := r.do(t, http.MethodGet, "/authorize", url.Values{"client_id": {"42"}, "redirect_uri": {"https://app.example/cb/x"}})
		loc, _ := url.Parse(w.Header().Get("Location"))
		checkErrorBody(t, r.do(t, http.MethodPost, "/access_token", with(client, "code", loc.Query().Get("code"))), 400, "invalid_grant", "Code is invalid or expired.")
	})
}

// TestAuthorizeErrors: the errors of /authorize, redirected (access_denied,
// unsupported_response_type) or shown (a bad client or redirect_uri).
func TestAuthorizeErrors(t *testing.T) {
	r := newRoom(t)
	base := url.Values{"client_id": {"51000001"}, "redirect_uri": {"https://app.example/cb"}, "state": {"st-1"}}
	checkErrorBody(t, r.do(t, http.MethodGet, "/authorize", with(base, "client_id", "")), 401, "invalid_client", "client_id is undefined")
	checkErrorBody(t, r.do(t, http.MethodGet, "/authorize", with(base, "client_id", "9")), 401, "invalid_client", "client_id is incorrect")
	checkErrorBody(t, r.do(t, http.MethodGet, "/authorize", with(base, "client_id", "42", "redirect_uri", "https://evil.example/cb/")), 400,
		"invalid_request", "redirect_uri is incorrect, check application redirect uri in the settings page")

	redirected := func(q url.Values, fragment bool, typ string) url.Values {
		t.Helper()
		w := r.do(t, http.MethodGet, "/authorize", q)
		if w.Code != http.StatusFound {
			t.Fatalf("status %d, want 302: %s", w.Code, w.Body)
		}
		loc, err := url.Parse(w.Header().Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		part := loc.RawQuery
		if fragment {
			part = loc.Fragment
		}
		v, _ := url.ParseQuery(part)
		if v.Get("error") != typ || v.Get("state") != "st-1" {
			t.Fatalf("redirect %v, want error %s and the state", v, typ)
		}
		if e := vkerrRedirect(loc); e == nil || e.Type != typ {
			t.Fatalf("vkerr.OAuthRedirectError(%v) = %v", v, e)
		}
		return v
	}
	v := redirected(with(base, "response_type", "password"), false, "unsupported_response_type")
	if v.Get("error_description") == "" {
		t.Error("no error_description")
	}
	r.h.SetDeny(true)
	for _, rt := range []string{"code", "token"} {
		v = redirected(with(base, "response_type", rt), rt == "token", "access_denied")
		if v.Get("error_reason") != "user_denied" || v.Get("error_description") != "User denied your request" {
			t.Errorf("%s: access_denied redirect %v", rt, v)
		}
	}
	if len(r.tokens.grants) != 0 {
		t.Errorf("refusals issued %d tokens", len(r.tokens.grants))
	}
}

// TestDirectChallenges: need_captcha (a wrong key gets a fresh captcha),
// then need_validation with a code readable through Pending, wrong_otp and
// otp_format_is_incorrect, force_sms, and the token at the end.
func TestDirectChallenges(t *testing.T) {
	r := newRoom(t)
	acct := r.h.Accounts()[1]
	acct.Captcha = true
	if err := r.h.SetAccount(acct); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "grant_type": {"password"}, "username": {"bob"}, "password": {"pw-bob-2"}, "2fa_supported": {"1"}, "scope": {"messages,offline"}}

	oe := checkErrorBody(t, r.do(t, http.MethodPost, "/token", q), 401, "need_captcha", "")
	if oe.CaptchaSID == "" || oe.CaptchaImg != "http://oauth.test/captcha.php?sid="+oe.CaptchaSID+"&s=1" {
		t.Fatalf("captcha %q %q", oe.CaptchaSID, oe.CaptchaImg)
	}
	wrong := checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "captcha_sid", oe.CaptchaSID, "captcha_key", "nope")), 401, "need_captcha", "")
	if wrong.CaptchaSID == oe.CaptchaSID {
		t.Fatal("a wrong key did not get a fresh captcha")
	}
	p := r.h.Pending()
	if len(p.Captchas) != 1 || p.Captchas[0].SID != wrong.CaptchaSID {
		t.Fatalf("pending captchas %+v", p.Captchas)
	}
	v := checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "captcha_sid", wrong.CaptchaSID, "captcha_key", p.Captchas[0].Key)), 401, "need_validation", "use app code")
	if v.ValidationType != TwoFAApp || v.ValidationSID == "" || v.PhoneMask != "+7 *** *** ** 02" || v.RedirectURI == "" {
		t.Fatalf("need_validation %+v", v)
	}
	v = checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "force_sms", "1")), 401, "need_validation", "sms sent, use code param")
	if v.ValidationType != TwoFASMS {
		t.Fatalf("force_sms: validation_type %q", v.ValidationType)
	}
	nv := checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "2fa_supported", "")), 401, "need_validation", "open redirect_uri in browser [5]. Also you can use 2fa_supported param")
	code := r.h.Pending().TwoFA[0].Code
	if r.h.Pending().TwoFA[0].ValidationSID != nv.ValidationSID {
		t.Fatal("Pending does not show the last check")
	}
	bad := checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "code", "12ab")), 401, "invalid_request", "")
	if bad.ErrorType != "otp_format_is_incorrect" {
		t.Errorf("error_type %q", bad.ErrorType)
	}
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "111111"
	}
	bad = checkErrorBody(t, r.do(t, http.MethodPost, "/token", with(q, "code", wrongCode)), 401, "invalid_request", "")
	if bad.ErrorType != "wrong_otp" {
		t.Errorf("error_type %q", bad.ErrorType)
	}
	w := r.do(t, http.MethodPost, "/token", with(q, "code", code))
	if w.Code != 200 {
		t.Fatalf("right code: %d %s", w.Code, w.Body)
	}
	ans := decodeAnswer(t, w)
	g := r.tokens.grants[ans["access_token"].(string)]
	if g.UserID != 1002 || ans["expires_in"] != 0.0 || !g.Expires.IsZero() || len(g.Scopes) != 2 {
		t.Fatalf("answer %v, grant %+v", ans, g)
	}
	// The code was used up.
	checkErrorBody(t, r.do(t, http.MethodPost, "/token", q), 401, "need_validation", "")
}

// TestIssueErrors: both token endpoints answer the errors of issuing
// alike, a scope VK does not know with 400 invalid_scope and a token store
// that fails with 500 server_error, and issue nothing.
func TestIssueErrors(t *testing.T) {
	client := url.Values{"client_id": {"51000001"}, "client_secret": {secret}, "redirect_uri": {blank}}
	direct := with(client, "grant_type", "password", "username", "ann", "password", "pw-ann-1")
	// request makes the request of an endpoint with scope; for the code
	// flow it first gets a code of that scope from /authorize.
	request := func(t *testing.T, r *room, path, scope string) url.Values {
		if path == "/token" {
			return with(direct, "scope", scope)
		}
		return with(client, "code", r.code(t, url.Values{"scope": {scope}}))
	}
	for _, path := range []string{"/access_token", "/token"} {
		t.Run(path+" scope", func(t *testing.T) {
			r := newRoom(t)
			checkErrorBody(t, r.do(t, http.MethodPost, path, request(t, r, path, "messages,no_such_right")), 400, "invalid_scope", "scope is invalid")
			if len(r.tokens.grants) != 0 {
				t.Errorf("issued %d tokens", len(r.tokens.grants))
			}
		})
		t.Run(path+" store", func(t *testing.T) {
			r := newRoom(t)
			q := request(t, r, path, "messages")
			r.tokens.mu.Lock()
			r.tokens.fail = errors.New("store is full")
			r.tokens.mu.Unlock()
			checkErrorBody(t, r.do(t, http.MethodPost, path, q), 500, "server_error", "store is full")
		})
	}
}
