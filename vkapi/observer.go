package vkapi

import (
	"context"
	"time"

	"github.com/vkerr/vkerr"
)

// Observer sees what the client does, to count it: every request and its
// response, every retry decision and every wait for the rate limiter. Its
// methods are called synchronously from the calling goroutine, never with a
// lock held; they must be safe for concurrent use and should return quickly.
// Events never carry a token, only its pool position.
type Observer interface {
	ObserveRequest(ctx context.Context, e RequestEvent)
	ObserveResponse(ctx context.Context, e ResponseEvent)
	ObserveRetry(ctx context.Context, e RetryEvent)
	ObserveLimiterWait(ctx context.Context, e LimiterWaitEvent)
}

// RequestEvent: a request is about to be sent.
type RequestEvent struct {
	Method  string
	Attempt int // 1 for the first request of a call
	Token   int // pool position of the token used
}

// ResponseEvent: a request has been answered, or has failed.
type ResponseEvent struct {
	Method   string
	Attempt  int
	Token    int
	Duration time.Duration
	// Status is the HTTP status, 0 when no response came.
	Status int
	// Code is the VK error code the server answered, 0 for none.
	Code vkerr.Code
	Err  error // nil on success
}

// RetryEvent: the retry checks have decided on a failed attempt.
type RetryEvent struct {
	Method  string
	Attempt int
	Err     error
	Retry   bool          // whether the call goes on
	Delay   time.Duration // the wait before the next attempt
	Reason  string        // the deciding check's reason
}

// LimiterWaitEvent: a request waited for the token's rate limiter.
type LimiterWaitEvent struct {
	Method string
	Token  int
	Waited time.Duration
}

// ObserverFuncs is an Observer made of optional functions; a nil field
// ignores its events. The zero ObserverFuncs observes nothing.
type ObserverFuncs struct {
	Request     func(context.Context, RequestEvent)
	Response    func(context.Context, ResponseEvent)
	Retry       func(context.Context, RetryEvent)
	LimiterWait func(context.Context, LimiterWaitEvent)
}

// ObserveRequest calls o.Request if set.
func (o ObserverFuncs) ObserveRequest(ctx context.Context, e RequestEvent) {
	if o.Request != nil {
		o.Request(ctx, e)
	}
}

// ObserveResponse calls o.Response if set.
func (o ObserverFuncs) ObserveResponse(ctx context.Context, e ResponseEvent) {
	if o.Response != nil {
		o.Response(ctx, e)
	}
}

// ObserveRetry calls o.Retry if set.
func (o ObserverFuncs) ObserveRetry(ctx context.Context, e RetryEvent) {
	if o.Retry != nil {
		o.Retry(ctx, e)
	}
}

// ObserveLimiterWait calls o.LimiterWait if set.
func (o ObserverFuncs) ObserveLimiterWait(ctx context.Context, e LimiterWaitEvent) {
	if o.LimiterWait != nil {
		o.LimiterWait(ctx, e)
	}
}
