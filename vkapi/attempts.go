package vkapi

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
)

// The attempt loop of a call: take a token and a limiter slot, send, apply
// the remedy of the error, ask the retry chain, wait, and again.

func idempotencyKey(m methodMeta) string {
	switch {
	case m.flags&methodRandomID != 0:
		return "random_id"
	case m.flags&methodGUID != 0:
		return "guid"
	}
	return ""
}

// newIdempotencyValue returns a fresh random_id (a positive int32, as VK
// takes) or guid (32 hex digits).
func newIdempotencyValue(key string) string {
	if key == "random_id" {
		return strconv.FormatInt(int64(rand.Int32N(1<<31-1))+1, 10)
	}
	var g [16]byte
	binary.LittleEndian.PutUint64(g[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(g[8:], rand.Uint64())
	return hex.EncodeToString(g[:])
}

// errCallTimeUsed ends a retry's wait for the limiter when the call's
// MaxElapsed runs out; the call then returns its last error.
var errCallTimeUsed = errors.New("vkapi: the call's time for retries is used up")

// callState is one logical call, across its attempts.
type callState struct {
	method string
	meta   methodMeta
	body   string      // the encoded parameters, the same on every attempt
	extra  [][2]string // parameters added by remedies (captcha, confirm)
	safe   bool
	// keyed is set when the request carries an idempotency key (random_id,
	// guid): every resend then goes out on the token of the first send,
	// since VK deduplicates per sender.
	keyed    bool
	pin      *entry
	start    time.Time
	attempts int // requests tried
	resends  resendCount
	captchas int
	renewals int
	lastErr  error
	// retryAfter is the Retry-After of the last answer (429, 503), if any.
	retryAfter time.Duration
}

func (st *callState) encoded() string {
	if len(st.extra) == 0 {
		return st.body
	}
	var b strings.Builder
	b.WriteString(st.body)
	for _, kv := range st.extra {
		appendParam(&b, kv[0], kv[1])
	}
	return b.String()
}

// resendCount counts the resends of one call (direct, or inside batches)
// by the one rule of RetryPolicy.MaxAttempts: a resend after error 6 does
// not count (the server refused the request without acting on it; only
// the call's time, MaxElapsed, and its context bound those), any other
// resend uses up one of the call's allowance.
type resendCount struct {
	counted int // resends after failures other than error 6
	after6  int // resends after error 6
}

// allow records a resend after err and reports whether the rule allows it:
// after error 6 while the call, begun at start, is younger than maxElapsed;
// after anything else while at most limit such resends were made.
func (r *resendCount) allow(err error, limit int, start time.Time, maxElapsed time.Duration) bool {
	if errors.Is(err, vkerr.TooMany) {
		r.after6++
		return time.Since(start) < maxElapsed
	}
	r.counted++
	return r.counted <= limit
}

// total is the number of resends recorded.
func (r *resendCount) total() int { return r.counted + r.after6 }

// next is what the remedies say to do after a failed attempt.
type next int

const (
	nextStop   next = iota // return the error
	nextResend             // resend at once (the remedy changed the request or the token)
	nextChain              // ask the retry chain
)

func (c *Client) run(ctx context.Context, st *callState, out any) error {
	debug := c.log.Enabled(ctx, slog.LevelDebug)
	for {
		var obsWait func(int, time.Duration)
		if c.obs != nil || debug {
			obsWait = func(idx int, waited time.Duration) {
				if c.obs != nil {
					c.obs.ObserveLimiterWait(ctx, LimiterWaitEvent{Method: st.method, Token: idx, Waited: waited})
				}
				if debug {
					c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: limiter wait", slog.String("method", st.method),
						slog.Int("token", idx), slog.Duration("waited", waited))
				}
			}
		}
		actx, cancel := ctx, context.CancelFunc(nil)
		if st.resends.total() > 0 {
			// A retry's wait for the limiter counts against MaxElapsed.
			actx, cancel = context.WithDeadlineCause(ctx, st.start.Add(c.retry.MaxElapsed), errCallTimeUsed)
		}
		l, err := c.pool.acquire(actx, st.method, st.meta, st.pin, obsWait)
		if cancel != nil {
			cancel()
		}
		if err != nil {
			if (errors.Is(err, errCallTimeUsed) || errors.Is(err, errPinnedTokenGone)) && st.lastErr != nil {
				err = st.lastErr
			}
			return c.fail(st, err)
		}
		if st.keyed && st.pin == nil {
			st.pin = l.e
		}
		st.attempts++
		if c.obs != nil {
			c.obs.ObserveRequest(ctx, RequestEvent{Method: st.method, Attempt: st.attempts, Token: l.e.idx})
		}
		t0 := time.Now()
		ans := c.send(ctx, st.method, st.encoded(), l.token, out)
		if l.win != nil {
			l.win.release(true)
		}
		err = ans.err
		if c.obs != nil || debug {
			c.observeResponse(ctx, st, l, time.Since(t0), ans.status, err, debug)
		}
		if err == nil {
			if ans.decoded {
				return nil
			}
			return c.decode(st, ans.raw, out)
		}
		var ee vkerr.ExecuteErrors
		if errors.As(err, &ee) && ans.raw != nil {
			if derr := c.decode(st, ans.raw, out); derr != nil {
				return derr
			}
			return c.fail(st, err)
		}
		st.lastErr, st.retryAfter = err, ans.retryAfter
		switch c.remedy(ctx, st, l, &err) {
		case nextStop:
			return c.fail(st, err)
		case nextResend:
			continue
		}
		if d, delay := c.decideRetry(ctx, st, err); d != DoRetry {
			return c.fail(st, err)
		} else if err := retry.Sleep(ctx, delay); err != nil {
			return c.fail(st, err)
		}
	}
}

// decideRetry asks the retry chain about a failed attempt, applies the
// policy's caps, reports the decision and returns it with the delay before
// the retry.
func (c *Client) decideRetry(ctx context.Context, st *callState, err error) (Decision, time.Duration) {
	tooMany := errors.Is(err, vkerr.TooMany)
	allowed := st.resends.allow(err, c.retry.MaxAttempts-1, st.start, c.retry.MaxElapsed)
	a := &Attempt{Method: st.method, Number: st.resends.total(), Err: err, Safe: st.safe,
		Unsent: isUnsent(err), Elapsed: time.Since(st.start)}
	d, why := c.retry.decide(ctx, a)
	var delay time.Duration
	if d == DoRetry {
		switch {
		case !allowed && !tooMany:
			d, why = DontRetry, why+"; but attempts are used up ("+strconv.Itoa(c.retry.MaxAttempts)+")"
		case tooMany && !c.limit.Off:
			delay = 0 // the limiter waits out the window
		case tooMany:
			delay = c.retry.backoff(st.resends.after6)
		default:
			delay = c.retry.backoff(st.resends.counted)
		}
		if st.retryAfter > delay {
			delay = min(st.retryAfter, c.retry.MaxDelay)
		}
		if d == DoRetry && time.Since(st.start)+delay > c.retry.MaxElapsed {
			d, why = DontRetry, why+"; but the call's time is used up ("+c.retry.MaxElapsed.String()+")"
		}
	}
	if c.obs != nil {
		c.obs.ObserveRetry(ctx, RetryEvent{Method: st.method, Attempt: st.attempts, Err: err, Retry: d == DoRetry, Delay: delay, Reason: why})
	}
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: retry decision", slog.String("method", st.method),
			slog.Int("attempt", st.attempts), slog.String("decision", d.String()), slog.String("reason", why),
			slog.Duration("delay", delay), slog.String("err", c.errString(err)))
	}
	return d, delay
}

func (c *Client) observeResponse(ctx context.Context, st *callState, l lease, d time.Duration, status int, err error, debug bool) {
	var code vkerr.Code
	var ve *vkerr.Error
	if errors.As(err, &ve) {
		code = ve.Code
	}
	if c.obs != nil {
		c.obs.ObserveResponse(ctx, ResponseEvent{Method: st.method, Attempt: st.attempts, Token: l.e.idx,
			Duration: d, Status: status, Code: code, Err: err})
	}
	if debug {
		attrs := []slog.Attr{slog.String("method", st.method), slog.Int("attempt", st.attempts),
			slog.Int("token", l.e.idx), slog.Duration("duration", d), slog.Int("status", status)}
		if err != nil {
			attrs = append(attrs, slog.Int("code", int(code)), slog.String("err", c.errString(err)))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: attempt", attrs...)
	}
}

// errString is err's message with every secret redacted, for logs.
func (c *Client) errString(err error) string {
	return vkerr.RedactString(c.pool.redact(err.Error()))
}

func (c *Client) fail(st *callState, err error) error {
	return &CallError{Method: st.method, Attempts: st.attempts, Err: err, redact: c.pool.redact}
}

func (c *Client) decode(st *callState, raw json.RawMessage, out any) error {
	if raw == nil {
		return nil
	}
	if err := decodeInto(raw, out); err != nil {
		return c.fail(st, err)
	}
	return nil
}

// decodeInto decodes a "response" value into out (nil discards it; a
// *json.RawMessage gets a copy).
func decodeInto(raw json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	if rm, ok := out.(*json.RawMessage); ok {
		*rm = append((*rm)[:0], raw...)
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	return nil
}
