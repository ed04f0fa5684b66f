package vkapi

import (
	"context"
	"errors"
	"sync"
	"time"
)

// window is a strict rolling-window limiter: at most n requests in any
// window, counted as the server counts them.
//
// The server sees a request when it arrives, somewhere between the moment the
// client sent it and the moment the answer came back. So a slot is taken
// when a request is sent and given back one window after its answer came
// back (or it failed): however the network delays a request, no n+1
// requests can arrive within one window. In-flight requests hold their slot.
//
// Waiters queue first in, first out. No lock is held while a caller waits:
// a waiter sleeps on its own channel, which the lock holder closes when it
// grants the waiter a slot.
type window struct {
	mu       sync.Mutex
	n        int           // the budget: requests per window
	per      time.Duration // the window
	inflight int           // slots of requests not yet answered
	ends     []time.Time   // expiry of slots of answered requests, ascending, from head
	head     int           // ends[:head] have expired
	queue    []*waiter
	until    time.Time // no slot is granted before this (after an error 6)
	slowTill time.Time // while now < slowTill, the budget is n-1
	timer    *time.Timer
	timerAt  time.Time
	// share, when positive, caps the budget: this process's share of a
	// budget kept elsewhere (WithSharedLimiter) while its keeper is away.
	share int
	// gate, when set, is a limiter shared with other processes: a slot of
	// this window lets a request go only once the gate lets it go too. It
	// is set before the window is used and never changes.
	gate SharedGate
}

type waiter struct {
	ch      chan struct{}
	granted bool
}

func newWindow(n int, per time.Duration) *window {
	if n < 1 {
		n = 1
	}
	if per <= 0 {
		per = time.Second
	}
	return &window{n: n, per: per}
}

// budget returns the number of slots per window now.
func (w *window) budget(now time.Time) int {
	n := w.n
	if w.share > 0 && w.share < n {
		n = w.share
	}
	if now.Before(w.slowTill) && n > 1 {
		return n - 1
	}
	return n
}

// prune drops the slots that expired by now, in amortised constant time.
func (w *window) prune(now time.Time) {
	for w.head < len(w.ends) && !w.ends[w.head].After(now) {
		w.head++
	}
	if w.head == len(w.ends) {
		w.ends, w.head = w.ends[:0], 0
	} else if w.head > 32 && w.head > len(w.ends)/2 {
		n := copy(w.ends, w.ends[w.head:])
		w.ends, w.head = w.ends[:n], 0
	}
}

// pending returns the number of answered requests still in the window.
func (w *window) pending() int { return len(w.ends) - w.head }

// free reports whether a slot may be granted now.
func (w *window) free(now time.Time) bool {
	return !now.Before(w.until) && w.inflight+w.pending() < w.budget(now)
}

// tryAcquire takes a slot if one is free and nobody is queued, and the
// window has no gate (a gate may have to wait).
func (w *window) tryAcquire() bool { return w.gate == nil && w.tryLocal() }

// acquire takes a slot, and then the gate's permission if the window has a
// gate, waiting as long as ctx allows. It returns how long it waited.
func (w *window) acquire(ctx context.Context) (time.Duration, error) {
	if w.gate == nil {
		return w.acquireLocal(ctx)
	}
	start := time.Now()
	for {
		tk := w.gate.Ticket()
		if _, err := w.acquireLocal(ctx); err != nil {
			return time.Since(start), err
		}
		err := w.gate.Pass(ctx, tk)
		if err == nil {
			return time.Since(start), nil
		}
		w.release(false)
		if !errors.Is(err, ErrRetrySlot) {
			return time.Since(start), err
		}
	}
}

// setShare caps the budget at share (zero lifts the cap) and grants no slot
// before pause; it wakes the queue if that frees slots.
func (w *window) setShare(share int, pause time.Time) {
	w.mu.Lock()
	w.share = share
	if pause.After(w.until) {
		w.until = pause
	}
	w.dispatch(time.Now())
	w.mu.Unlock()
}

// tryLocal takes a slot of the window alone if one is free and nobody is
// queued.
func (w *window) tryLocal() bool {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	if len(w.queue) == 0 && w.free(now) {
		w.inflight++
		return true
	}
	return false
}

// acquireLocal takes a slot of the window alone, waiting for one as long
// as ctx allows. It returns how long it waited.
func (w *window) acquireLocal(ctx context.Context) (time.Duration, error) {
	if w.tryLocal() {
		return 0, nil
	}
	start := time.Now()
	wt := &waiter{ch: make(chan struct{})}
	w.mu.Lock()
	w.queue = append(w.queue, wt)
	w.dispatch(time.Now())
	w.mu.Unlock()
	select {
	case <-wt.ch:
		return time.Since(start), nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if wt.granted {
		// Granted while the context ended: give the unused slot back.
		w.inflight--
	} else {
		for i, q := range w.queue {
			if q == wt {
				w.queue = append(w.queue[:i], w.queue[i+1:]...)
				break
			}
		}
	}
	w.dispatch(time.Now())
	w.mu.Unlock()
	return time.Since(start), context.Cause(ctx)
}

// release gives back a slot. sent reports whether a request went out on it:
// its slot then stays taken for one window from now.
func (w *window) release(sent bool) {
	w.mu.Lock()
	now := time.Now()
	w.inflight--
	if sent {
		w.ends = append(w.ends, now.Add(w.per))
	}
	w.dispatch(now)
	w.mu.Unlock()
}

// penalize reacts to an error 6 the server sent despite the limiter: no new
// slot for one window, and one slot less per window for the next ten.
func (w *window) penalize() {
	w.mu.Lock()
	now := time.Now()
	w.until = now.Add(w.per)
	w.slowTill = now.Add(10 * w.per)
	w.dispatch(now)
	w.mu.Unlock()
}

// dispatch grants free slots to the queue, in order, and arms the timer for
// the next moment a slot frees itself. Called with mu held; it never blocks.
func (w *window) dispatch(now time.Time) {
	w.prune(now)
	for len(w.queue) > 0 && w.free(now) {
		wt := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		wt.granted = true
		w.inflight++
		close(wt.ch)
	}
	if len(w.queue) == 0 {
		return
	}
	// The next time a slot can free itself without a release.
	var next time.Time
	switch {
	case now.Before(w.until):
		next = w.until
	case w.inflight+w.pending() >= w.budget(now) && w.pending() > 0:
		next = w.ends[w.head]
		if now.Before(w.slowTill) && w.slowTill.Before(next) {
			next = w.slowTill
		}
	default:
		return // every slot is in flight; a release will dispatch
	}
	if w.timer != nil && !w.timerAt.IsZero() && !w.timerAt.After(next) {
		return // armed early enough
	}
	w.timerAt = next
	d := next.Sub(now)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.onTimer)
	} else {
		w.timer.Reset(d)
	}
}

func (w *window) onTimer() {
	w.mu.Lock()
	w.timerAt = time.Time{}
	w.dispatch(time.Now())
	w.mu.Unlock()
}

// setBudget sets the requests per window (once a token's kind is known)
// and wakes the queue if that frees slots.
func (w *window) setBudget(n int) {
	w.mu.Lock()
	w.n = max(n, 1)
	w.dispatch(time.Now())
	w.mu.Unlock()
}
