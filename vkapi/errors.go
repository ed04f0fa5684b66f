package vkapi

import (
	"errors"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
)

// CallError is the error Call returns: what went wrong, on which method,
// after how many attempts. Err is a vkerr type (*vkerr.Error,
// vkerr.ExecuteErrors, *vkerr.HTTPError, *vkerr.FormatError), a
// *CooldownError, a network or context error, or an error of a hook;
// errors.Is and errors.As see through the wrap:
//
//	errors.Is(err, vkerr.Captcha)      // the server asked for a captcha
//	errors.Is(err, vkerr.ErrTransient) // retries ran out on a transient failure
//
// Like fs.PathError, it adds context and nothing else.
type CallError struct {
	Method   string // the VK method called
	Attempts int    // requests sent, or tried, for this call; 0 when refused before any
	Err      error

	redact func(string) string
}

// Error returns "vkapi: METHOD: after N attempts: ERR", with every secret,
// and every token the client knows, redacted.
func (e *CallError) Error() string {
	s := "vkapi: " + e.Method + ": "
	switch e.Attempts {
	case 0:
	case 1:
		s += "after 1 attempt: "
	default:
		s += "after " + strconv.Itoa(e.Attempts) + " attempts: "
	}
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	s += msg
	if e.redact != nil {
		s = e.redact(s)
	}
	return vkerr.RedactString(s)
}

// Unwrap returns Err.
func (e *CallError) Unwrap() error { return e.Err }

// CooldownError reports an error 9 (flood control) or 29 (rate limit
// reached): the action must not be repeated before Until. The client does
// not wait that long by itself; it fails fast.
//
// After a 29 the client refuses the method on that token until Until without
// a network call; such refusals have Local set, and Err is the 29 that
// started the cooldown. errors.Is(err, vkerr.RateLimit) and errors.Is(err,
// vkerr.ErrRateLimit) hold for both kinds.
type CooldownError struct {
	Method string
	Code   vkerr.Code // vkerr.Flood or vkerr.RateLimit
	Until  time.Time  // the earliest time to try again
	Local  bool       // refused by the client without a network call
	Err    *vkerr.Error
}

// Error says which code, which method and until when.
func (e *CooldownError) Error() string {
	s := e.Code.Error()
	if e.Err != nil {
		s = e.Err.Error()
	}
	if e.Local {
		s += ": refused locally"
	}
	return s + ": " + e.Method + " cools down until " + e.Until.Format(time.RFC3339)
}

// Unwrap returns the server's error, or the code when there is none.
func (e *CooldownError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return e.Code
}

// RetryAfter returns how long from now until Until, never negative.
func (e *CooldownError) RetryAfter() time.Duration { return max(0, time.Until(e.Until)) }

// ErrNoTokens is matched by the error of a call made when every token of the
// pool has left it (error 5 or 3610 without a TokenRefresher).
var ErrNoTokens = errors.New("vkapi: no usable token: VK refused every token the client was given")

// TokenError reports that a token left the pool: the server answered 5
// (authorization failed) or 3610 (user deactivated) and no TokenRefresher
// gave a replacement. The call that saw it returns it once; later calls use
// the other tokens. Token is the token's position in the pool (0 for the
// token given to New, then the WithTokens ones in order), never the token.
type TokenError struct {
	Token int
	Err   *vkerr.Error
}

// Error returns "the token was refused; the client no longer uses it: ERR"
// (a call's error says "vkapi: METHOD: " before it). It never names the
// token nor its place in the pool.
func (e *TokenError) Error() string {
	return "the token was refused; the client no longer uses it: " + e.Err.Error()
}

// Unwrap returns the server's error.
func (e *TokenError) Unwrap() error { return e.Err }

// noTokensError is the error of a call when the pool is empty: it matches
// ErrNoTokens and the error that removed the last token.
type noTokensError struct{ last error }

func (e *noTokensError) Error() string {
	if e.last == nil {
		return ErrNoTokens.Error()
	}
	return ErrNoTokens.Error() + " (last: " + e.last.Error() + ")"
}

func (e *noTokensError) Unwrap() []error {
	if e.last == nil {
		return []error{ErrNoTokens}
	}
	return []error{ErrNoTokens, e.last}
}

// HookError reports that a hook (CaptchaSolver, Validator, Confirmer,
// TokenRefresher) failed or declined. Err is the hook's own error, or
// ErrDeclined; Cause is the server's error the hook was asked to remedy.
// errors.Is and errors.As match both.
type HookError struct {
	Hook  string // "captcha solver", "validator", "confirmer", "token refresher"
	Err   error
	Cause *vkerr.Error

	redact func(string) string
}

// Error returns "vkapi: HOOK: ERR (remedying CAUSE)", secrets and the
// client's tokens redacted.
func (e *HookError) Error() string {
	s := "vkapi: " + e.Hook + ": " + e.Err.Error() + " (remedying " + e.Cause.Error() + ")"
	if e.redact != nil {
		s = e.redact(s)
	}
	return vkerr.RedactString(s)
}

// Unwrap returns the hook's error and the server's error.
func (e *HookError) Unwrap() []error { return []error{e.Err, e.Cause} }

// ErrDeclined is matched by the error of a call whose Confirmer answered no,
// or whose CaptchaSolver gave up without an error of its own.
var ErrDeclined = errors.New("declined")
