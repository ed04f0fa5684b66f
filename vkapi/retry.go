package vkapi

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
)

// Decision is a retry check's answer about a failed attempt.
type Decision int8

// The answers of a retry check. The zero Decision is NoDecision.
const (
	// NoDecision: this check has no opinion; ask the next one.
	NoDecision Decision = iota
	// DoRetry: send the request again after a backoff delay.
	DoRetry
	// DontRetry: end the call with the error.
	DontRetry
)

// String returns "no decision", "retry" or "don't retry".
func (d Decision) String() string {
	switch d {
	case DoRetry:
		return "retry"
	case DontRetry:
		return "don't retry"
	}
	return "no decision"
}

// Attempt describes a failed attempt to a retry check.
type Attempt struct {
	Method string
	// Number counts the attempts of the call that the retry checks have
	// seen, 1 for the first.
	Number int
	Err    error
	// Safe reports that repeating the request cannot do its action twice:
	// the method only reads, or the request carries an idempotency key
	// (random_id, guid).
	Safe bool
	// Unsent reports that the request certainly did not reach the server
	// (the connection could not be made), so that repeating it is safe
	// whatever the method.
	Unsent bool
	// Elapsed is the time since the call began.
	Elapsed time.Duration
}

// Check is one link of the ordered chain of retry checks. The client asks
// each check in turn; the first answer other than NoDecision decides, and
// its reason is logged at debug level. When every check says NoDecision the
// call ends.
type Check interface {
	Check(ctx context.Context, a *Attempt) (Decision, string)
}

// CheckFunc adapts a function to Check.
type CheckFunc func(ctx context.Context, a *Attempt) (Decision, string)

// Check calls f.
func (f CheckFunc) Check(ctx context.Context, a *Attempt) (Decision, string) { return f(ctx, a) }

// The checks of DefaultChecks, in their order. Each may be reused in a chain
// of one's own.
var (
	// CheckContext: don't retry once the call's context is done.
	CheckContext Check = CheckFunc(func(ctx context.Context, a *Attempt) (Decision, string) {
		if ctx.Err() != nil {
			return DontRetry, "context done"
		}
		return NoDecision, ""
	})

	// CheckNotVK: don't retry a body that is in no shape VK answers with.
	CheckNotVK Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		if errors.Is(a.Err, vkerr.ErrNotVK) {
			return DontRetry, "not a VK API response"
		}
		return NoDecision, ""
	})

	// CheckExecute: don't retry an execute whose inner calls failed; the
	// script ran.
	CheckExecute Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		var ee vkerr.ExecuteErrors
		if errors.As(a.Err, &ee) {
			return DontRetry, "execute ran; inner calls failed"
		}
		return NoDecision, ""
	})

	// CheckTooMany: retry error 6 unchanged: the server refused the request
	// without acting on it, and the token's limiter waits out the window.
	CheckTooMany Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		if errors.Is(a.Err, vkerr.TooMany) {
			return DoRetry, "too many requests per second: retry after the window"
		}
		return NoDecision, ""
	})

	// CheckCodeAdvice: don't retry an API error the catalogue says not to
	// retry as it is: never-retry codes (5, 7, 15, 18, 100 and their kind),
	// cooldowns (9, 29) and user-action codes (14, 17, 24) the hooks did not
	// remedy.
	CheckCodeAdvice Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		var e *vkerr.Error
		if !errors.As(a.Err, &e) {
			return NoDecision, ""
		}
		switch e.Retry() {
		case vkerr.RetryNever:
			return DontRetry, "the catalogue says never retry " + e.Code.String()
		case vkerr.RetryCooldown:
			return DontRetry, e.Code.String() + " needs a long cooldown"
		case vkerr.RetryUserAction:
			return DontRetry, e.Code.String() + " needs a user action"
		}
		return NoDecision, ""
	})

	// CheckUnsafe: don't retry a transient failure of a write without an
	// idempotency key, unless the request never left.
	CheckUnsafe Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		if !a.Safe && !a.Unsent {
			return DontRetry, "not safe to repeat: a write without an idempotency key"
		}
		return NoDecision, ""
	})

	// CheckTransient: retry transient failures: API errors 1, 10 and the
	// rest of the transient category, HTTP-level failures (non-200 status,
	// HTML pages, empty or truncated bodies), connection resets and
	// timeouts.
	CheckTransient Check = CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
		if isTransient(a.Err) {
			return DoRetry, "transient failure"
		}
		return NoDecision, ""
	})
)

// DefaultChecks returns a new slice of the default chain: CheckContext,
// CheckNotVK, CheckExecute, CheckTooMany, CheckCodeAdvice, CheckUnsafe,
// CheckTransient. Anything they all pass over is not retried.
func DefaultChecks() []Check {
	return []Check{CheckContext, CheckNotVK, CheckExecute, CheckTooMany, CheckCodeAdvice, CheckUnsafe, CheckTransient}
}

// isTransient reports whether err is a failure that time alone may fix:
// the shared rule of the event and file clients, and an attempt that
// timed out.
func isTransient(err error) bool {
	return retry.Transient(err) || errors.Is(err, errAttemptTimeout)
}

// isUnsent reports whether err shows that the request never reached the
// server: the connection could not be made.
func isUnsent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// errAttemptTimeout is the cause of an attempt's context when its
// RetryPolicy.AttemptTimeout expires.
var errAttemptTimeout = errors.New("vkapi: attempt timed out")

// The defaults of RetryPolicy's fields, as the zero RetryPolicy has them.
const (
	DefaultMaxAttempts    = 4
	DefaultBaseDelay      = 500 * time.Millisecond
	DefaultMaxDelay       = 10 * time.Second
	DefaultMaxElapsed     = 30 * time.Second
	DefaultAttemptTimeout = 30 * time.Second
	DefaultFloodCooldown  = 10 * time.Minute
	DefaultQuotaCooldown  = time.Hour
	DefaultHookTimeout    = 5 * time.Minute
)

// RetryPolicy bounds the client's retries. Each zero field takes its
// default; the zero RetryPolicy is the default policy.
type RetryPolicy struct {
	// MaxAttempts caps the requests sent for one call because of retry
	// decisions (the first one included). Zero means DefaultMaxAttempts; 1
	// disables retries. Resends after an error 6 do not count (the server
	// did nothing; MaxElapsed and the context bound them), and resends that
	// remedy a captcha, validation, confirmation or token refresh have their
	// own bounds.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff: before retry n (1, 2, ...)
	// the client waits a random time in [0, min(MaxDelay, BaseDelay*2^(n-1))]
	// (exponential backoff with full jitter). Zero means 500ms and 10s.
	BaseDelay, MaxDelay time.Duration
	// MaxElapsed caps the time a call spends retrying: no retry starts that
	// would end its wait later than MaxElapsed after the call began. Waits
	// for the rate limiter count too. Zero means 30s. A Retry-After of a 429
	// or 503 answer sets the delay before the retry, capped by MaxDelay.
	MaxElapsed time.Duration
	// AttemptTimeout bounds each request, on top of the call's context; a
	// request that times out is a transient failure. Zero means 30s; a
	// negative value means no bound but the context.
	AttemptTimeout time.Duration
	// FloodCooldown is how long an error 9 (flood control) says to leave
	// the action alone; the CooldownError reports it. Zero means 10 minutes.
	FloodCooldown time.Duration
	// QuotaCooldown is how long the client refuses a method on a token after
	// an error 29 (rate limit reached) on it. VK does not say when the quota
	// resets ("roughly daily"). Zero means one hour.
	QuotaCooldown time.Duration
	// HookTimeout bounds a TokenRefresher's or a Validator's run, which
	// does not end with the context of the call that started it (other
	// calls wait for it too). Zero means DefaultHookTimeout.
	HookTimeout time.Duration
	// Checks is the chain of retry checks, asked in order. Nil means
	// DefaultChecks(); an empty non-nil slice retries nothing.
	Checks []Check
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultMaxElapsed
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	if p.FloodCooldown <= 0 {
		p.FloodCooldown = DefaultFloodCooldown
	}
	if p.QuotaCooldown <= 0 {
		p.QuotaCooldown = DefaultQuotaCooldown
	}
	if p.HookTimeout <= 0 {
		p.HookTimeout = DefaultHookTimeout
	}
	if p.Checks == nil {
		p.Checks = DefaultChecks()
	}
	return p
}

// backoff returns the full-jitter delay before retry n (1, 2, ...).
func (p *RetryPolicy) backoff(n int) time.Duration {
	return retry.Backoff{Base: p.BaseDelay, Max: p.MaxDelay}.Delay(n)
}

// decide runs the chain on a failed attempt.
func (p *RetryPolicy) decide(ctx context.Context, a *Attempt) (Decision, string) {
	for _, c := range p.Checks {
		if d, why := c.Check(ctx, a); d != NoDecision {
			return d, why
		}
	}
	return DontRetry, "no check asked for a retry"
}
