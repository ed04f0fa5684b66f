package vkoauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkoauth"
)

// TestCodeFlowToUsersGet: AuthorizeURL → redirect with code and state →
// Exchange → a token that goes straight into a vkapi.Client.
func TestCodeFlowToUsersGet(t *testing.T) {
	_, c := newMock(t)
	state := vkoauth.NewState()
	loc := authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{Scope: vkoauth.ScopeFriends | vkoauth.ScopeEmail, State: state}))
	r, err := vkoauth.ParseRedirect(loc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckState(state); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckState("other"); err != vkoauth.ErrStateMismatch {
		t.Fatalf("CheckState(other) = %v", err)
	}
	toks, err := c.Exchange(context.Background(), r.Code)
	if err != nil {
		t.Fatal(err)
	}
	tok := toks[0]
	if len(toks) != 1 || tok.Kind != vkerr.KindUser || tok.UserID != vkmock.DefaultUserID || tok.ExpiresIn != 24*time.Hour || tok.Email == "" || tok.Expires.IsZero() {
		t.Fatalf("token %+v", tok)
	}
	api := tok.Client(vkapi.WithBaseURL(c.OAuthURL), vkapi.WithHTTPClient(c.HTTPClient))
	defer api.Close()
	var users []struct {
		ID int64 `json:"id"`
	}
	if err := api.Call(context.Background(), "users.get", nil, &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != vkmock.DefaultUserID {
		t.Fatalf("users.get: %+v", users)
	}
}

// TestCommunityAndImplicitFlows: group_ids gives one token per community;
// the implicit flow's fragment is parsed into tokens.
func TestCommunityAndImplicitFlows(t *testing.T) {
	_, c := newMock(t)
	loc := authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{GroupIDs: []int64{200000001, 7}, GroupScope: vkoauth.GroupScopeMessages | vkoauth.GroupScopeManage, State: "g"}))
	r, err := vkoauth.ParseRedirect(loc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := c.Exchange(context.Background(), r.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0].GroupID != 7 || toks[1].GroupID != 200000001 || toks[0].Kind != vkerr.KindGroup || toks[0].ExpiresIn != 0 {
		t.Fatalf("community tokens %+v", toks)
	}
	loc = authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{ResponseType: vkoauth.ResponseToken, Scope: vkoauth.ScopeOffline, State: "i"}))
	r, err = vkoauth.ParseRedirect(loc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tokens) != 1 || r.Tokens[0].ExpiresIn != 0 || r.Tokens[0].UserID != vkmock.DefaultUserID || r.State != "i" {
		t.Fatalf("implicit %+v", r)
	}
	svc, err := c.ClientCredentials(context.Background())
	if err != nil || svc.Kind != vkerr.KindService || svc.AccessToken == "" {
		t.Fatalf("client credentials: %+v %v", svc, err)
	}
}

// TestDirectCaptchaThenTwoFA: direct authorization through a captcha and
// then a 2FA code, answered by the hooks from what the mock shows.
func TestDirectCaptchaThenTwoFA(t *testing.T) {
	s, c := newMock(t)
	acct := s.OAuth().Accounts()[1]
	acct.Captcha = true
	if err := s.OAuth().SetAccount(acct); err != nil {
		t.Fatal(err)
	}
	var seen []string
	req := vkoauth.DirectRequest{
		Username: acct.Login, Password: vkoauth.Secret(acct.Password), Scope: vkoauth.ScopeMessages,
		Captcha: vkapi.CaptchaSolverFunc(func(_ context.Context, cp *vkapi.Captcha) (vkapi.CaptchaAnswer, error) {
			seen = append(seen, fmt.Sprintf("captcha %d %s", cp.Attempt, cp.Method))
			if !strings.Contains(cp.Img, cp.SID) {
				t.Errorf("captcha img %q lacks the sid", cp.Img)
			}
			if cp.Attempt == 1 {
				return vkapi.CaptchaAnswer{Key: "wrong"}, nil
			}
			return vkapi.CaptchaAnswer{Key: s.OAuth().Pending().Captchas[0].Key}, nil
		}),
		TwoFactor: vkoauth.CodeSolverFunc(func(_ context.Context, tf *vkoauth.TwoFactor) (string, error) {
			seen = append(seen, fmt.Sprintf("code %d %s %s", tf.Attempt, tf.Type, tf.PhoneMask))
			if tf.Attempt == 1 {
				return "999999x", nil // a bad format: asked again
			}
			return s.OAuth().Pending().TwoFA[0].Code, nil
		}),
	}
	tok, err := c.Direct(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"captcha 1 oauth.token", "captcha 2 oauth.token", "code 1 2fa_app " + acct.PhoneMask, "code 2 2fa_app " + acct.PhoneMask}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("hooks saw %q, want %q", seen, want)
	}
	if tok.UserID != acct.UserID || tok.Kind != vkerr.KindUser {
		t.Fatalf("token %+v", tok)
	}
}

// TestSecretsNeverPrinted: %v, %+v, %#v, JSON and errors of the client's
// values never show a secret.
func TestSecretsNeverPrinted(t *testing.T) {
	_, c := newMock(t)
	svc, err := c.ClientCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := vkoauth.DirectRequest{Username: "u", Password: "Passw0rdSecret"}
	j, _ := json.Marshal(svc)
	out := fmt.Sprintf("%v %+v %#v %s %q %v %+v %#v", c, c, c, svc.AccessToken, svc.AccessToken, svc, req, req) + string(j)
	for _, secret := range []string{string(c.ClientSecret), string(svc.AccessToken), "Passw0rdSecret"} {
		if strings.Contains(out, secret) {
			t.Fatalf("a secret is printed: %s", out)
		}
	}
	bad := *c
	bad.ClientSecret = "Wrong0SecretValue999"
	_, err = bad.Exchange(context.Background(), "Code0Secret123456789")
	for _, secret := range []string{"Wrong0SecretValue999", "Code0Secret123456789"} {
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), secret) {
			t.Fatalf("the error shows a secret: %v", err)
		}
	}
}
