package redislimit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/vkerr/vkerr/vkapi"
)

// gate is the shared schedule of one budget (a token's ordinary or
// secure.* methods): the vkapi.SharedGate of its window.
type gate struct {
	l        *Limiter
	id       func() string             // the budget's vkapi.SharedBudget ID
	capFn    func(n int, at time.Time) // caps the client's window
	limit    redis_rate.Limit          // in units: slotUnits per slot
	interval time.Duration             // one slot every interval
	unit     time.Duration             // interval / slotUnits
	tol      time.Duration             // the lateness a request may go with
	share    int                       // the window's budget while Redis is away
	pause    time.Duration             // no request for this long when Redis goes away

	mu      sync.Mutex
	queue   []*slotWaiter
	running bool // a reserver goroutine is at work
	keyID   string
	key     string
}

type slotWaiter struct {
	ch   chan struct{}
	done bool          // granted or sent back, under the gate's mu
	err  error         // sent back: ErrRetrySlot (Redis went away) or ErrClosed
	slot time.Time     // granted: go at this time
	rtt  time.Duration // the uncertainty of slot: it may be due since rtt earlier
}

// Ticket returns the state, and while Redis is away notes the traffic and
// has a prober look for Redis.
func (g *gate) Ticket() uint64 {
	st := g.l.state.Load()
	if st&1 == 1 {
		g.l.activity.Add(1)
		g.l.startProber(false)
	}
	return st
}

// Pass waits for the request's slot in the shared schedule; see the
// package documentation.
func (g *gate) Pass(ctx context.Context, tk uint64) error {
	l := g.l
	front := false
	for {
		if l.ctx.Err() != nil {
			return ErrClosed
		}
		st := l.state.Load()
		if st&1 == 1 {
			// Redis is away: the window, capped at the share, is the limit.
			if err := l.waitProbe(ctx); err != nil {
				return err
			}
			if st = l.state.Load(); st&1 == 1 {
				if tk != st {
					return vkapi.ErrRetrySlot // taken before the cap
				}
				l.fallback.Add(1)
				return nil
			}
		}
		l.uncapIfDue()
		wt := &slotWaiter{ch: make(chan struct{})}
		g.enqueue(wt, front)
		select {
		case <-wt.ch:
		case <-ctx.Done():
			if !g.cancel(wt) && wt.err == nil {
				l.wasted.Add(1)
			}
			return context.Cause(ctx)
		}
		if wt.err != nil {
			return wt.err
		}
		if err := l.sleep(ctx, time.Until(wt.slot)); err != nil {
			l.wasted.Add(1)
			return err
		}
		if late := time.Since(wt.slot) + wt.rtt; late > g.tol {
			over := late - g.tol
			if over > g.interval {
				// Far too late: reserve another slot, first in line.
				l.wasted.Add(1)
				front = true
				continue
			}
			// Going now could bunch this request up with the one n slots
			// on: push the schedule back by the excess before that one is
			// reserved.
			l.late.Add(1)
			g.push(over)
		}
		l.grants.Add(1)
		return nil
	}
}

func (g *gate) enqueue(wt *slotWaiter, front bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if front {
		g.queue = append(g.queue, nil)
		copy(g.queue[1:], g.queue)
		g.queue[0] = wt
	} else {
		g.queue = append(g.queue, wt)
	}
	if g.running {
		return
	}
	g.running = true
	if !g.l.spawn(g.reserve) {
		g.running = false
		g.sendBackLocked(ErrClosed)
	}
}

// cancel takes wt out of the queue; it reports false if it was no longer
// there (granted or sent back).
func (g *gate) cancel(wt *slotWaiter) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if wt.done {
		return false
	}
	for i, q := range g.queue {
		if q == wt {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			break
		}
	}
	wt.done = true
	return true
}

// sendBackLocked hands every queued waiter back with err: ErrRetrySlot to
// its window (Redis is away), or ErrClosed. Called with mu held.
func (g *gate) sendBackLocked(err error) {
	for _, wt := range g.queue {
		wt.done, wt.err = true, err
		close(wt.ch)
	}
	clear(g.queue)
	g.queue = g.queue[:0]
}

// currentKey returns the Redis key of the budget's current token (a
// renewed token has a budget of its own).
func (g *gate) currentKey() string {
	id := g.id()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.key == "" || id != g.keyID {
		g.key, g.keyID = g.l.cfg.prefix+id, id
	}
	return g.key
}

// reserve reserves slots for the queue, first come first served, one
// Redis round trip at a time, until the queue is empty, Redis is away or
// the limiter is closed. It holds no lock while it talks to Redis or
// sleeps.
func (g *gate) reserve() {
	l := g.l
	for {
		g.mu.Lock()
		if len(g.queue) == 0 || l.state.Load()&1 == 1 || l.ctx.Err() != nil {
			err := vkapi.ErrRetrySlot
			if l.ctx.Err() != nil {
				err = ErrClosed
			}
			g.sendBackLocked(err)
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		key := g.currentKey()
		res, t0, t1, err := l.allow(key, g.limit, slotUnits)
		if errors.Is(err, ErrClosed) {
			continue // sends the queue back
		}
		if err != nil {
			l.goDown(err)
			continue
		}
		if res.Allowed == 0 {
			// Look again within a second at most: the queue may have
			// emptied.
			_ = l.sleep(context.Background(), min(res.RetryAfter, time.Second))
			continue
		}
		// The slot's time at the latest (Redis read its clock somewhere
		// between t0 and t1); it may be due since rtt earlier, which Pass
		// counts as lateness.
		rtt := t1.Sub(t0)
		slot := t1.Add(res.ResetAfter - g.interval)
		g.mu.Lock()
		if len(g.queue) > 0 {
			wt := g.queue[0]
			g.queue[0] = nil
			g.queue = g.queue[1:]
			wt.done, wt.slot, wt.rtt = true, slot, rtt
			close(wt.ch)
		} else {
			l.wasted.Add(1)
		}
		g.mu.Unlock()
	}
}

// pushBurst is the GCRA burst of a push, in units: so large that Redis
// never refuses one.
const pushBurst = 1 << 24

// push moves the shared schedule back by about d (whole units, rounded
// up): a request went d later than the tolerance allows, and every slot
// reserved from now on, among them the one n slots after its own, is that
// much later. It does not wait for Redis; a failure switches to the
// fallback, whose pause covers the request.
func (g *gate) push(d time.Duration) {
	units := int((d + g.unit - 1) / g.unit)
	g.l.pushed.Add(int64(time.Duration(units) * g.unit))
	// Always allowed, however far ahead the schedule is reserved: a burst
	// of hours.
	lim := g.limit
	lim.Burst = pushBurst
	key := g.currentKey()
	g.l.spawn(func() {
		if _, _, _, err := g.l.allow(key, lim, units); err != nil && !errors.Is(err, ErrClosed) {
			g.l.goDown(err)
		}
	})
}
