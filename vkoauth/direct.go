package vkoauth

import (
	"context"
	"errors"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
)

// DefaultAttempts bounds the captchas, and the 2FA codes, of one Direct.
const DefaultAttempts = 3

// TwoFactor is the challenge of need_validation, as a CodeSolver gets it.
type TwoFactor struct {
	// Type is 2fa_sms (a code was sent by SMS) or 2fa_app (the code of
	// the authenticator app).
	Type      string
	PhoneMask string
	// Attempt counts the codes asked in this Direct: 1 for the first; a
	// later one follows a wrong code.
	Attempt int
	Err     *vkerr.OAuthError // the whole error, for any other field
}

// CodeSolver answers need_validation with the code the user received. An
// empty code with a nil error gives up: Direct returns a *HookError
// matching vkapi.ErrDeclined and the need_validation error.
type CodeSolver interface {
	SolveCode(ctx context.Context, t *TwoFactor) (code string, err error)
}

// CodeSolverFunc adapts a function to CodeSolver.
type CodeSolverFunc func(ctx context.Context, t *TwoFactor) (string, error)

// SolveCode calls f.
func (f CodeSolverFunc) SolveCode(ctx context.Context, t *TwoFactor) (string, error) {
	return f(ctx, t)
}

// DirectRequest is a direct authorization (grant_type=password), which VK
// allows to the apps it trusts. The zero values: no rights, no hooks (a
// captcha or a 2FA check ends Direct with its *vkerr.OAuthError),
// DefaultAttempts.
type DirectRequest struct {
	Username string
	Password Secret
	Scope    Scope
	// Captcha answers need_captcha, with the hook of vkapi: its Captcha has
	// Method "oauth.token", SID and Img; the answer's Key is sent as
	// captcha_key.
	Captcha vkapi.CaptchaSolver
	// TwoFactor answers need_validation with the code.
	TwoFactor CodeSolver
	// ForceSMS asks VK to send the code by SMS even when the account uses
	// an authenticator app.
	ForceSMS bool
	// Attempts bounds the captchas, and the codes, asked (0:
	// DefaultAttempts).
	Attempts int
}

// HookError reports that a hook of Direct failed or gave up. Err is the
// hook's error, or vkapi.ErrDeclined; Cause is the OAuth error the hook
// was asked to answer.
type HookError struct {
	Hook  string // "captcha solver" or "code solver"
	Err   error
	Cause *vkerr.OAuthError
}

// Error returns "vkoauth: HOOK: ERR (answering CAUSE)", secrets redacted.
func (e *HookError) Error() string {
	return vkerr.RedactString("vkoauth: " + e.Hook + ": " + e.Err.Error() + " (answering " + e.Cause.Error() + ")")
}

// Unwrap returns the hook's error and the OAuth error.
func (e *HookError) Unwrap() []error { return []error{e.Err, e.Cause} }

// Direct logs in with a username and a password and returns the user
// token. A captcha goes to r.Captcha, a 2FA check to r.TwoFactor, and the
// request is sent again with the answer, at most r.Attempts times each; a
// wrong code (wrong_otp, otp_format_is_incorrect) asks the CodeSolver
// again. Every other failure is the *vkerr.OAuthError VK sent.
func (c *Client) Direct(ctx context.Context, r DirectRequest) (Token, error) {
	if c.ClientSecret == "" {
		return Token{}, ErrNoSecret
	}
	if r.Username == "" || r.Password == "" {
		return Token{}, errors.New("vkoauth: Direct needs a username and a password")
	}
	most := r.Attempts
	if most <= 0 {
		most = DefaultAttempts
	}
	extra := map[string]string{}
	captchas, codes := 0, 0
	var check *vkerr.OAuthError // the last need_validation
	for {
		q := c.clientParams()
		q.Set("grant_type", "password")
		q.Set("username", r.Username)
		q.Set("password", string(r.Password))
		q.Set("scope", strconv.FormatUint(uint64(r.Scope), 10))
		if r.TwoFactor != nil {
			q.Set("2fa_supported", "1")
		}
		if r.ForceSMS {
			q.Set("force_sms", "1")
		}
		for k, v := range extra {
			q.Set(k, v)
		}
		fields, err := c.post(ctx, "/token", q)
		if err == nil {
			toks, err := c.tokensOf(fields, vkerr.KindUser)
			if err != nil {
				return Token{}, err
			}
			return toks[0], nil
		}
		var oe *vkerr.OAuthError
		if !errors.As(err, &oe) {
			return Token{}, err
		}
		switch {
		case oe.Type == vkerr.OAuthNeedCaptcha && r.Captcha != nil && captchas < most:
			captchas++
			ans, herr := r.Captcha.SolveCaptcha(ctx, &vkapi.Captcha{Method: "oauth.token", Attempt: captchas, SID: oe.CaptchaSID, Img: oe.CaptchaImg})
			if herr == nil && ans.Key == "" {
				herr = vkapi.ErrDeclined
			}
			if herr != nil {
				return Token{}, &HookError{Hook: "captcha solver", Err: herr, Cause: oe}
			}
			delete(extra, "code") // a captcha comes before the second factor
			extra["captcha_sid"], extra["captcha_key"] = oe.CaptchaSID, ans.Key
		case r.TwoFactor != nil && codes < most && (oe.Type == vkerr.OAuthNeedValidation && oe.ValidationType != "" ||
			oe.Type == vkerr.OAuthInvalidRequest && (oe.ErrorType == "wrong_otp" || oe.ErrorType == "otp_format_is_incorrect")):
			codes++
			if oe.Type == vkerr.OAuthNeedValidation || check == nil {
				check = oe
			}
			t := &TwoFactor{Type: check.ValidationType, PhoneMask: check.PhoneMask, Attempt: codes, Err: oe}
			code, herr := r.TwoFactor.SolveCode(ctx, t)
			if herr == nil && code == "" {
				herr = vkapi.ErrDeclined
			}
			if herr != nil {
				return Token{}, &HookError{Hook: "code solver", Err: herr, Cause: oe}
			}
			delete(extra, "captcha_sid")
			delete(extra, "captcha_key")
			extra["code"] = code
		default:
			return Token{}, oe
		}
		if err := ctx.Err(); err != nil {
			return Token{}, err
		}
	}
}
