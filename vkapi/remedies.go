package vkapi

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
)

// The remedies the error catalogue documents for a failed attempt: slow
// down after 6, cool down after 9 and 29, ask the hooks for 14, 17, 24, 5
// and 3609, take a token out of the pool after 5 and 3610.

// remedy applies the documented reaction to a failed attempt's error. It
// may replace *errp with a more telling error.
func (c *Client) remedy(ctx context.Context, st *callState, l lease, errp *error) next {
	var e *vkerr.Error
	if !errors.As(*errp, &e) {
		return nextChain
	}
	switch e.Code {
	case vkerr.TooMany:
		if l.win != nil {
			l.win.penalize()
		}
		return nextChain
	case vkerr.Flood:
		*errp = &CooldownError{Method: st.method, Code: vkerr.Flood, Until: time.Now().Add(c.retry.FloodCooldown), Err: e}
		return nextStop
	case vkerr.RateLimit:
		until := time.Now().Add(c.retry.QuotaCooldown)
		c.pool.block(l.e, st.method, until, e)
		*errp = &CooldownError{Method: st.method, Code: vkerr.RateLimit, Until: until, Err: e}
		return nextStop
	case vkerr.Captcha:
		return c.solveCaptcha(ctx, st, e, errp)
	case vkerr.AuthValidation:
		if c.validator == nil || st.renewals >= 2 {
			return nextStop
		}
		st.renewals++
		_, err := c.renew(ctx, l, func(ctx context.Context) (string, error) {
			return c.validator.Validate(ctx, &Validation{Method: st.method, RedirectURI: e.RedirectURI, Err: e})
		})
		if err != nil {
			*errp = c.hookError("validator", err, e)
			return nextStop
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "vkapi: token replaced after validation", slog.Int("token", l.e.idx))
		return nextResend
	case vkerr.NeedConfirmation:
		if c.confirmer == nil {
			return nextStop
		}
		if _, done := st.extraValue("confirm"); done {
			return nextStop // confirmed once already and asked again
		}
		yes, err := c.confirmer.Confirm(ctx, &Confirmation{Method: st.method, Text: e.ConfirmationText, Err: e})
		switch {
		case err != nil:
			*errp = c.hookError("confirmer", err, e)
			return nextStop
		case !yes:
			*errp = &HookError{Hook: "confirmer", Err: ErrDeclined, Cause: e, redact: c.pool.redact}
			return nextStop
		}
		st.setExtra("confirm", "1")
		return nextResend
	case vkerr.Auth, vkerr.TokenExtensionRequired, vkerr.UserDeactivated:
		return c.authRemedy(ctx, st, l, e, errp)
	}
	return nextChain
}

// authRemedy answers 5, 3609 and 3610. The token leaves the pool only on
// the server's verdict: a 5 no refresher was asked to remedy, or a 3610. A
// refresher's failure, or the end of the caller's context while it waited
// for one, leaves the token in place: the next call tries again.
func (c *Client) authRemedy(ctx context.Context, st *callState, l lease, e *vkerr.Error, errp *error) next {
	if c.refresher != nil && e.Code != vkerr.UserDeactivated && st.renewals < 2 && l.token != "" {
		st.renewals++
		_, err := c.renew(ctx, l, func(ctx context.Context) (string, error) {
			return c.refresher.RefreshToken(ctx, &Refresh{Method: st.method, Token: l.e.idx, Kind: l.e.kind, Err: e})
		})
		if err == nil {
			c.log.LogAttrs(ctx, slog.LevelInfo, "vkapi: token refreshed", slog.Int("token", l.e.idx), slog.Int("code", int(e.Code)))
			return nextResend
		}
		*errp = c.hookError("token refresher", err, e)
		return nextStop
	}
	if e.Code == vkerr.TokenExtensionRequired {
		return nextStop
	}
	if c.pool.kill(l.e, l.token, e) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "vkapi: token left the pool", slog.Int("token", l.e.idx),
			slog.Int("code", int(e.Code)), slog.String("err", c.errString(e)))
		*errp = &TokenError{Token: l.e.idx, Err: e}
	}
	return nextStop
}

// hookError wraps the failure of a hook, or of the wait for one.
func (c *Client) hookError(hook string, err error, cause *vkerr.Error) error {
	return &HookError{Hook: hook, Err: err, Cause: cause, redact: c.pool.redact}
}

// renew replaces the token of l through get (a Validator or a
// TokenRefresher), unless another call already did; concurrent calls share
// one get. get runs detached from ctx, bounded by RetryPolicy.HookTimeout
// and Close, so that the end of the first caller's context does not fail
// the others; each caller waits for it as long as its own ctx allows.
func (c *Client) renew(ctx context.Context, l lease, get func(context.Context) (string, error)) (string, error) {
	f, leader, tok := c.pool.beginRenew(l.e, l.token)
	if f == nil {
		return tok, nil // already renewed
	}
	if leader {
		hctx, cancel := c.life.detach(ctx, c.retry.HookTimeout)
		ok := c.life.spawn(func() {
			defer cancel()
			tok, err := get(hctx)
			c.pool.endRenew(l.e, f, tok, err)
		})
		if !ok {
			cancel()
			c.pool.endRenew(l.e, f, "", ErrClosed)
		}
	}
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// setExtra sets a remedy parameter, replacing an earlier value.
func (st *callState) setExtra(k, v string) {
	for i := range st.extra {
		if st.extra[i][0] == k {
			st.extra[i][1] = v
			return
		}
	}
	st.extra = append(st.extra, [2]string{k, v})
}

// delExtra removes remedy parameters.
func (st *callState) delExtra(keys ...string) {
	st.extra = slices.DeleteFunc(st.extra, func(kv [2]string) bool { return slices.Contains(keys, kv[0]) })
}

func (st *callState) extraValue(k string) (string, bool) {
	for _, kv := range st.extra {
		if kv[0] == k {
			return kv[1], true
		}
	}
	return "", false
}

func (c *Client) solveCaptcha(ctx context.Context, st *callState, e *vkerr.Error, errp *error) next {
	if c.captcha == nil || st.captchas >= c.maxCaptcha {
		return nextStop
	}
	st.captchas++
	ans, err := c.captcha.SolveCaptcha(ctx, &Captcha{Method: st.method, Attempt: st.captchas, SID: e.CaptchaSID,
		Img: e.CaptchaImg, RedirectURI: e.RedirectURI, Err: e})
	if err != nil {
		*errp = c.hookError("captcha solver", err, e)
		return nextStop
	}
	if ans.Key == "" && ans.SuccessToken == "" {
		*errp = &HookError{Hook: "captcha solver", Err: ErrDeclined, Cause: e, redact: c.pool.redact}
		return nextStop
	}
	// The answer to this captcha replaces every field of an earlier one: a
	// stale success_token or key would decide the resend otherwise.
	st.delExtra("captcha_sid", "captcha_key", "success_token", "captcha_ts", "captcha_attempt", "remixstlid")
	if e.CaptchaSID != "" {
		st.setExtra("captcha_sid", e.CaptchaSID)
	}
	if ans.Key != "" {
		st.setExtra("captcha_key", ans.Key)
	}
	if ans.SuccessToken != "" {
		st.setExtra("success_token", ans.SuccessToken)
	}
	if e.CaptchaTS != "" {
		st.setExtra("captcha_ts", e.CaptchaTS)
	}
	if e.CaptchaAttempt != 0 {
		st.setExtra("captcha_attempt", strconv.Itoa(e.CaptchaAttempt))
	}
	if e.RemixStlid != 0 {
		st.setExtra("remixstlid", strconv.FormatInt(e.RemixStlid, 10))
	}
	return nextResend
}
