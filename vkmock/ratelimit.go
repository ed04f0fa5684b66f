package vkmock

import (
	"sync"
	"time"

	"github.com/vkerr/vkerr"
)

// maxRate is the largest budget (the top secure.* tier); each window
// remembers that many accepted requests.
const maxRate = vkerr.MaxRateBudget

// rateBudget is the number of requests per vkerr.RateWindow the server
// accepts from a token of kind k, in the secure.* bucket or the other one,
// for an app with installs users: VK's documented budgets.
func rateBudget(k TokenKind, secure bool, installs int64) int {
	if secure {
		return vkerr.SecureRateBudget(installs)
	}
	return k.RateBudget()
}

// rateKey is a token and the bucket it is counted in: ordinary methods, or
// the secure.* methods, which have limits of their own.
type rateKey struct {
	token  string
	secure bool
}

// window is a strict rolling window of vkerr.RateWindow (one second): it
// accepts a request when fewer than limit requests were accepted in the
// window before it, so no span of one window ever holds more than limit
// accepted requests.
type window struct {
	mu    sync.Mutex
	times [maxRate]int64 // accepted times, a ring, newest at head-1
	head  int
	n     int
}

// allow reads the clock under the window's lock, so the accepted times of a
// window are in order even when requests race.
func (w *window) allow(clock func() time.Time, limit int) (time.Time, bool) {
	if limit > maxRate {
		limit = maxRate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := clock()
	now := t.UnixNano()
	if w.n >= limit {
		// The limit-th most recent accepted request must be a full window
		// old.
		i := (w.head - limit + maxRate) % maxRate
		if now-w.times[i] < int64(vkerr.RateWindow) {
			return t, false
		}
	}
	w.times[w.head] = now
	w.head = (w.head + 1) % maxRate
	if w.n < maxRate {
		w.n++
	}
	return t, true
}

// limiter holds a window per token and bucket.
type limiter struct {
	m sync.Map // rateKey -> *window
}

func (l *limiter) allow(key rateKey, clock func() time.Time, limit int) (time.Time, bool) {
	v, ok := l.m.Load(key)
	if !ok {
		v, _ = l.m.LoadOrStore(key, new(window))
	}
	return v.(*window).allow(clock, limit)
}

func (l *limiter) reset() { l.m.Clear() }
