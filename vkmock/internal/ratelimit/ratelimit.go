// Package ratelimit is the per-token rate limit of vkmock (error 6): a
// strict rolling window of vkerr.RateWindow per token and bucket.
package ratelimit

import (
	"sync"
	"time"

	"github.com/vkerr/vkerr"
)

// MaxRate is the largest budget (the top secure.* tier); each window
// remembers that many accepted requests.
const MaxRate = vkerr.MaxRateBudget

// Key is a token and the bucket it is counted in: ordinary methods, or
// the secure.* methods, which have limits of their own.
type Key struct {
	Token  string
	Secure bool
}

// window is a strict rolling window of vkerr.RateWindow (one second): it
// accepts a request when fewer than limit requests were accepted in the
// window before it, so no span of one window ever holds more than limit
// accepted requests.
type window struct {
	mu    sync.Mutex
	times [MaxRate]int64 // accepted times, a ring, newest at head-1
	head  int
	n     int
}

// allow reads the clock under the window's lock, so the accepted times of a
// window are in order even when requests race.
func (w *window) allow(clock func() time.Time, limit int) (time.Time, bool) {
	if limit > MaxRate {
		limit = MaxRate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := clock()
	now := t.UnixNano()
	if w.n >= limit {
		// The limit-th most recent accepted request must be a full window
		// old.
		i := (w.head - limit + MaxRate) % MaxRate
		if now-w.times[i] < int64(vkerr.RateWindow) {
			return t, false
		}
	}
	w.times[w.head] = now
	w.head = (w.head + 1) % MaxRate
	if w.n < MaxRate {
		w.n++
	}
	return t, true
}

// Limiter holds a window per token and bucket. The zero value is ready.
type Limiter struct {
	m sync.Map // Key -> *window
}

// Allow takes a request of key at clock's time if fewer than limit were
// taken in the window before; it returns the time read.
func (l *Limiter) Allow(key Key, clock func() time.Time, limit int) (time.Time, bool) {
	v, ok := l.m.Load(key)
	if !ok {
		v, _ = l.m.LoadOrStore(key, new(window))
	}
	return v.(*window).allow(clock, limit)
}

// Reset forgets every window.
func (l *Limiter) Reset() { l.m.Clear() }
