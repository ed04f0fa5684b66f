package longpoll

import (
	"context"
	"time"
)

// GapKind says why events may be missing.
type GapKind string

// The kinds of gaps.
const (
	// GapOutdated: {"failed":1}; the history was outdated or partly lost,
	// the events between From and To may be missing.
	GapOutdated GapKind = "outdated"
	// GapLost: {"failed":3}; the events between From and To are gone.
	GapLost GapKind = "lost"
)

// Gap is a ts range (From, To] whose events the poller did not receive.
type Gap struct {
	GroupID  int64
	Kind     GapKind
	From, To string
}

// Observer watches the poller. Its methods must not block.
type Observer interface {
	// ObservePoll: an a_check answered with events (n may be 0).
	ObservePoll(ctx context.Context, e PollEvent)
	// ObserveRecovery: a failure and what the poller does about it.
	ObserveRecovery(ctx context.Context, e RecoveryEvent)
	// ObserveGap: events may be missing.
	ObserveGap(ctx context.Context, g Gap)
	// ObserveHandler: a handler returned an error or panicked.
	ObserveHandler(ctx context.Context, e HandlerEvent)
}

// PollEvent is one answered a_check.
type PollEvent struct {
	GroupID  int64
	TS       string // the ts after the answer
	Events   int
	Duration time.Duration
}

// RecoveryEvent is a failure the poller recovers from.
type RecoveryEvent struct {
	GroupID int64
	// Failure: "failed_1".."failed_N", "network", "http_status",
	// "bad_body", "server_error", "cooldown".
	Failure string
	Action  string        // what it does: "new ts", "new key", "backoff"...
	Delay   time.Duration // how long it waits before the next request
	Err     error
}

// HandlerEvent is a handler's failure.
type HandlerEvent struct {
	EventID string
	Type    string
	Err     error // a *HandlerPanic for a panic
}

// ObserverFuncs adapts functions to Observer; nil fields observe nothing.
type ObserverFuncs struct {
	Poll     func(context.Context, PollEvent)
	Recovery func(context.Context, RecoveryEvent)
	Gap      func(context.Context, Gap)
	Handler  func(context.Context, HandlerEvent)
}

// ObservePoll calls o.Poll.
func (o ObserverFuncs) ObservePoll(ctx context.Context, e PollEvent) {
	if o.Poll != nil {
		o.Poll(ctx, e)
	}
}

// ObserveRecovery calls o.Recovery.
func (o ObserverFuncs) ObserveRecovery(ctx context.Context, e RecoveryEvent) {
	if o.Recovery != nil {
		o.Recovery(ctx, e)
	}
}

// ObserveGap calls o.Gap.
func (o ObserverFuncs) ObserveGap(ctx context.Context, g Gap) {
	if o.Gap != nil {
		o.Gap(ctx, g)
	}
}

// ObserveHandler calls o.Handler.
func (o ObserverFuncs) ObserveHandler(ctx context.Context, e HandlerEvent) {
	if o.Handler != nil {
		o.Handler(ctx, e)
	}
}
