package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the mock's clock: a base clock (time.Now unless a test gives
// another) moved by an offset that Set and Advance change. Rate windows,
// flood cooldowns, daily quotas, captcha_ts, message dates, key lifetimes
// and the request log all read it, so tests move time instead of
// sleeping. Waits that measure a span on it also wait on Moved, and
// measure again when the clock moves.
//
// The zero value is not usable; NewClock makes one. A Clock is safe for
// concurrent use.
type Clock struct {
	base   func() time.Time
	offset atomic.Int64 // ns added to base

	mu    sync.Mutex
	moved chan struct{} // closed and replaced when the clock moves
}

// NewClock returns a clock that reads base (time.Now when nil).
func NewClock(base func() time.Time) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base, moved: make(chan struct{})}
}

// Now returns the mock's current time.
func (c *Clock) Now() time.Time {
	return c.base().Add(time.Duration(c.offset.Load()))
}

// Offset returns how far the clock is from its base.
func (c *Clock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Set sets the clock to t; it keeps running from there at the pace of
// the base clock.
func (c *Clock) Set(t time.Time) {
	c.offset.Store(int64(t.Sub(c.base())))
	c.wake()
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.offset.Add(int64(d))
	c.wake()
}

// Reset takes the offset back to zero.
func (c *Clock) Reset() {
	c.offset.Store(0)
	c.wake()
}

// Moved returns a channel closed when the clock next moves.
func (c *Clock) Moved() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moved
}

func (c *Clock) wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.moved)
	c.moved = make(chan struct{})
}
