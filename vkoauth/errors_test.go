package vkoauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkoauth"
)

// oauthErr checks that err is the *vkerr.OAuthError of the type (and
// description), with a category and the catalogue's remedy.
func oauthErr(t *testing.T, err error, typ, desc string) *vkerr.OAuthError {
	t.Helper()
	var oe *vkerr.OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("error %T %v, want *vkerr.OAuthError %s", err, err, typ)
	}
	if oe.Type != typ || desc != "" && oe.Description != desc {
		t.Fatalf("got %s / %q, want %s / %q", oe.Type, oe.Description, typ, desc)
	}
	if oe.Remedy("en") == "" || oe.Remedy("ru") == "" {
		t.Errorf("%s has no remedy", typ)
	}
	return oe
}

// code runs /authorize for a code.
func code(t *testing.T, c *vkoauth.Client) vkoauth.Secret {
	t.Helper()
	r, err := vkoauth.ParseRedirect(authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{State: "s"})), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Code
}

// TestClientErrors: each error of the flows, as the client returns it.
func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("invalid_client wrong secret", func(t *testing.T) {
		_, c := newMock(t)
		cd := code(t, c)
		c.ClientSecret = "Wrong0SecretValue123"
		_, err := c.Exchange(ctx, cd)
		oe := oauthErr(t, err, "invalid_client", "client_secret is incorrect")
		if !errors.Is(err, vkerr.CategoryAuth) || oe.Category() != vkerr.CategoryAuth {
			t.Errorf("category %v", oe.Category())
		}
		_, err = c.ClientCredentials(ctx)
		oauthErr(t, err, "invalid_client", "client_secret is incorrect")
	})
	t.Run("invalid_client unknown app", func(t *testing.T) {
		_, c := newMock(t)
		c.ClientID = 77
		_, err := c.ClientCredentials(ctx)
		oauthErr(t, err, "invalid_client", "client_id is incorrect")
	})
	t.Run("invalid_grant reused", func(t *testing.T) {
		_, c := newMock(t)
		cd := code(t, c)
		if _, err := c.Exchange(ctx, cd); err != nil {
			t.Fatal(err)
		}
		_, err := c.Exchange(ctx, cd)
		oauthErr(t, err, "invalid_grant", "Code is invalid or expired.")
	})
	t.Run("invalid_grant expired", func(t *testing.T) {
		s, c := newMock(t)
		cd := code(t, c)
		s.Clock().Advance(time.Hour)
		_, err := c.Exchange(ctx, cd)
		oauthErr(t, err, "invalid_grant", "Code is invalid or expired.")
	})
	t.Run("invalid_grant redirect_uri", func(t *testing.T) {
		_, c := newMock(t)
		cd := code(t, c)
		c.RedirectURI = "https://elsewhere.example/cb"
		_, err := c.Exchange(ctx, cd)
		oauthErr(t, err, "invalid_grant", "redirect_uri is invalid, please pass same redirect_uri, you used in authorize method.")
	})
	t.Run("access_denied", func(t *testing.T) {
		s, c := newMock(t)
		s.OAuth().SetDeny(true)
		for _, rt := range []string{vkoauth.ResponseCode, vkoauth.ResponseToken} {
			_, err := vkoauth.ParseRedirect(authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{ResponseType: rt, State: "s"})), time.Time{})
			oe := oauthErr(t, err, "access_denied", "User denied your request")
			if oe.Reason != "user_denied" || oe.Category() != vkerr.CategoryPermission {
				t.Errorf("%s: %+v", rt, oe)
			}
		}
	})
	t.Run("unsupported_response_type", func(t *testing.T) {
		_, c := newMock(t)
		_, err := vkoauth.ParseRedirect(authorize(t, c, c.AuthorizeURL(vkoauth.AuthRequest{ResponseType: "password"})), time.Time{})
		oauthErr(t, err, "unsupported_response_type", "")
	})
	t.Run("wrong password", func(t *testing.T) {
		_, c := newMock(t)
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: vkmock.DefaultLogin, Password: "nope"})
		oe := oauthErr(t, err, "invalid_client", "Username or password is incorrect")
		if oe.ErrorType != "username_or_password_is_incorrect" || oe.Remedy("en") == vkerrRemedy(oe) {
			t.Errorf("error_type %q, remedy %q", oe.ErrorType, oe.Remedy("en"))
		}
	})
	t.Run("unauthorized_client", func(t *testing.T) {
		s, c := newMock(t)
		if err := s.OAuth().SetApp(vkmock.OAuthApp{ID: 42, Secret: "UntrustedAppSecret42"}); err != nil {
			t.Fatal(err)
		}
		c.ClientID, c.ClientSecret = 42, "UntrustedAppSecret42"
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: vkmock.DefaultLogin, Password: vkmock.DefaultPassword})
		oauthErr(t, err, "unauthorized_client", "")
	})
	t.Run("need_captcha without a hook", func(t *testing.T) {
		s, c := newMock(t)
		acct := s.OAuth().Accounts()[0]
		acct.Captcha = true
		_ = s.OAuth().SetAccount(acct)
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: acct.Login, Password: vkoauth.Secret(acct.Password)})
		oe := oauthErr(t, err, "need_captcha", "")
		if oe.CaptchaSID == "" || oe.CaptchaImg == "" || oe.Category() != vkerr.CategoryUserAction {
			t.Errorf("%+v", oe)
		}
	})
	t.Run("need_captcha declined", func(t *testing.T) {
		s, c := newMock(t)
		acct := s.OAuth().Accounts()[0]
		acct.Captcha = true
		_ = s.OAuth().SetAccount(acct)
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: acct.Login, Password: vkoauth.Secret(acct.Password),
			Captcha: vkapi.CaptchaSolverFunc(func(context.Context, *vkapi.Captcha) (vkapi.CaptchaAnswer, error) { return vkapi.CaptchaAnswer{}, nil })})
		var he *vkoauth.HookError
		if !errors.As(err, &he) || !errors.Is(err, vkapi.ErrDeclined) {
			t.Fatalf("%T %v", err, err)
		}
		oauthErr(t, err, "need_captcha", "")
	})
	t.Run("need_validation without a hook", func(t *testing.T) {
		_, c := newMock(t)
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: vkmock.TwoFALogin, Password: vkmock.DefaultPassword})
		oe := oauthErr(t, err, "need_validation", "open redirect_uri in browser [5]. Also you can use 2fa_supported param")
		if oe.ValidationType != "2fa_app" || oe.ValidationSID == "" || oe.PhoneMask == "" || oe.RedirectURI == "" {
			t.Errorf("%+v", oe)
		}
	})
	t.Run("wrong_otp until the attempts run out", func(t *testing.T) {
		_, c := newMock(t)
		var types []string
		_, err := c.Direct(ctx, vkoauth.DirectRequest{Username: vkmock.TwoFALogin, Password: vkmock.DefaultPassword, ForceSMS: true, Attempts: 2,
			TwoFactor: vkoauth.CodeSolverFunc(func(_ context.Context, tf *vkoauth.TwoFactor) (string, error) {
				types = append(types, tf.Type)
				return "000000", nil
			})})
		oe := oauthErr(t, err, "invalid_request", "")
		if oe.ErrorType != "wrong_otp" || len(types) != 2 || types[0] != "2fa_sms" || types[1] != "2fa_sms" {
			t.Errorf("error_type %q, hooks saw %q", oe.ErrorType, types)
		}
	})
}

func vkerrRemedy(oe *vkerr.OAuthError) string {
	plain := *oe
	plain.ErrorType = ""
	return plain.Remedy("en")
}
