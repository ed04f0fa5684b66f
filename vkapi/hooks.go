package vkapi

import (
	"context"

	"github.com/vkerr/vkerr"
)

// Captcha is the challenge of an error 14, as a CaptchaSolver gets it.
type Captcha struct {
	Method string // the method that asked for it
	// Attempt counts the captchas of this call: 1 for the first.
	Attempt int
	SID     string // captcha_sid (legacy flow)
	Img     string // captcha_img: the picture to show (legacy flow)
	// RedirectURI is set in the VK ID captcha flow: open it with the VK ID
	// Captcha SDK and answer with its success_token.
	RedirectURI string
	Err         *vkerr.Error // the whole error, for any other field
}

// CaptchaAnswer is the answer to a Captcha: Key, the text a person typed
// (legacy flow), or SuccessToken (VK ID flow). Both are secrets: the client
// sends them as captcha_key and success_token and never logs them.
type CaptchaAnswer struct {
	Key          string
	SuccessToken string
}

// CaptchaSolver answers error 14. The client resends the request with the
// answer (captcha_sid and captcha_key, or success_token, plus the
// captcha_ts, captcha_attempt and remixstlid the error carried), at most
// WithCaptchaAttempts times per call. An empty answer with a nil error gives
// up: the call returns a *HookError matching ErrDeclined and vkerr.Captcha.
type CaptchaSolver interface {
	SolveCaptcha(ctx context.Context, c *Captcha) (CaptchaAnswer, error)
}

// CaptchaSolverFunc adapts a function to CaptchaSolver.
type CaptchaSolverFunc func(ctx context.Context, c *Captcha) (CaptchaAnswer, error)

// SolveCaptcha calls f.
func (f CaptchaSolverFunc) SolveCaptcha(ctx context.Context, c *Captcha) (CaptchaAnswer, error) {
	return f(ctx, c)
}

// Validation is the challenge of an error 17 (validation required).
type Validation struct {
	Method string
	// RedirectURI is the page a person must open. On success VK redirects to
	// https://oauth.vk.com/blank.html#success=1&access_token=NEW&user_id=ID;
	// the Validator returns NEW.
	RedirectURI string
	Err         *vkerr.Error
}

// Validator answers error 17 with a new token, which replaces the old one
// in the pool; the client then resends the request with it. Concurrent calls
// that hit 17 on the same token share one Validate.
type Validator interface {
	Validate(ctx context.Context, v *Validation) (newToken string, err error)
}

// ValidatorFunc adapts a function to Validator.
type ValidatorFunc func(ctx context.Context, v *Validation) (string, error)

// Validate calls f.
func (f ValidatorFunc) Validate(ctx context.Context, v *Validation) (string, error) { return f(ctx, v) }

// Confirmation is the question of an error 24 (confirmation required).
type Confirmation struct {
	Method string
	Text   string // confirmation_text: show it with Continue and Cancel
	Err    *vkerr.Error
}

// Confirmer answers error 24. Yes resends the request with confirm=1; no
// ends the call with a *HookError matching ErrDeclined and
// vkerr.NeedConfirmation.
type Confirmer interface {
	Confirm(ctx context.Context, c *Confirmation) (bool, error)
}

// ConfirmerFunc adapts a function to Confirmer.
type ConfirmerFunc func(ctx context.Context, c *Confirmation) (bool, error)

// Confirm calls f.
func (f ConfirmerFunc) Confirm(ctx context.Context, c *Confirmation) (bool, error) { return f(ctx, c) }

// Refresh asks a TokenRefresher for a new token.
type Refresh struct {
	Method string
	// Token is the pool position of the token to replace (0 for the token
	// given to New).
	Token int
	// Kind is the kind of the token to replace, as configured or detected.
	Kind TokenKind
	Err  *vkerr.Error // error 5 (authorization failed) or 3609 (token extension required)
}

// TokenRefresher answers errors 5 and 3609 with a new token, which replaces
// the old one in the pool; the client then resends the request with it
// once. Concurrent calls that hit the error on the same token share one
// RefreshToken. Without a refresher, a token that gets 5 leaves the pool.
type TokenRefresher interface {
	RefreshToken(ctx context.Context, r *Refresh) (newToken string, err error)
}

// TokenRefresherFunc adapts a function to TokenRefresher.
type TokenRefresherFunc func(ctx context.Context, r *Refresh) (string, error)

// RefreshToken calls f.
func (f TokenRefresherFunc) RefreshToken(ctx context.Context, r *Refresh) (string, error) {
	return f(ctx, r)
}
