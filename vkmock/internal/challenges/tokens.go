package challenges

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Codes returns the errors SetToken can raise on a token (a new slice
// each call).
func Codes() []vkerr.Code { return slices.Clone(codes) }

var codes = []vkerr.Code{
	vkerr.AuthValidation, vkerr.Recaptcha, vkerr.PhoneValidationNeed, vkerr.PasswordValidationNeed,
	vkerr.OtpValidationNeed, vkerr.EmailConfirmationNeed, vkerr.TokenExtensionRequired,
	vkerr.UserDeactivated, vkerr.UserServiceDeactivated,
}

// tokenChallenges are the errors raised on tokens, by token; only tokens
// the store knows get one, so they are bounded as the store is.
type tokenChallenges struct {
	mu    sync.RWMutex
	codes map[string]vkerr.Code
}

func (t *tokenChallenges) reset() {
	t.mu.Lock()
	t.codes = map[string]vkerr.Code{}
	t.mu.Unlock()
}

// clear drops the challenge of token if it is code.
func (t *tokenChallenges) clear(token string, code vkerr.Code) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.codes[token] == code {
		delete(t.codes, token)
	}
}

// SetToken makes every call with the token answer code (checked right
// after the token's state): 17 (validation required: the error carries
// redirect_uri, a page that issues a new token and leaves this one
// needing validation), 3300 to 3304 (the error carries redirect_uri, a
// page whose completion clears the challenge), 3609, 3610 or 3611 (no
// extra fields). Code 0 clears it. The token must exist.
func (r *Room) SetToken(token string, code vkerr.Code) error {
	if code != 0 && !slices.Contains(codes, code) {
		return fmt.Errorf("vkmock: token challenge %d: want one of 17, 3300-3304, 3609-3611 or 0", code)
	}
	if !r.tokens.Exists(token) {
		return errors.New("vkmock: no such token")
	}
	r.tokChal.mu.Lock()
	defer r.tokChal.mu.Unlock()
	if code == 0 {
		delete(r.tokChal.codes, token)
	} else {
		r.tokChal.codes[token] = code
	}
	return nil
}

// Token returns the challenge raised on a token, 0 for none.
func (r *Room) Token(token string) vkerr.Code {
	r.tokChal.mu.RLock()
	defer r.tokChal.mu.RUnlock()
	return r.tokChal.codes[token]
}

// TokenError is the error of a token's challenge code, for request q:
// 17 and 3300-3304 carry the redirect_uri of a validation page.
func (r *Room) TokenError(code vkerr.Code, q *core.Request) *vkerr.Error {
	e := &vkerr.Error{Code: code, Message: r.msgs.Of(code)}
	switch code {
	case vkerr.AuthValidation:
		e.Message += ": please open redirect_uri in browser"
		e.RedirectURI = r.newValidation(q, code)
	case vkerr.Recaptcha, vkerr.PhoneValidationNeed, vkerr.PasswordValidationNeed, vkerr.OtpValidationNeed, vkerr.EmailConfirmationNeed:
		e.RedirectURI = r.newValidation(q, code)
	}
	return e
}
