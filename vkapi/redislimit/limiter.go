package redislimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/vkerr/vkerr/vkapi"
)

// ErrClosed is what a Pass returns once the Limiter is closed.
var ErrClosed = errors.New("redislimit: limiter closed")

// Limiter keeps the budgets of one vkapi client in Redis: it is the
// client's vkapi.SharedLimiter (see the package documentation). Make it
// with New; the zero Limiter is not usable.
type Limiter struct {
	cfg   config
	store store

	// ctx ends when the limiter is closed; Redis calls run under it.
	ctx    context.Context
	cancel context.CancelFunc

	// spawnMu guards closed and the Add of wg, so that no goroutine starts
	// once Close waits for them.
	spawnMu sync.Mutex
	closed  bool
	wg      sync.WaitGroup

	// state counts the transitions between Redis and the fallback: odd
	// while Redis is away and the windows are capped.
	state atomic.Uint64
	// activity counts the acquisitions while Redis is away, to tell the
	// prober there is traffic.
	activity atomic.Uint64
	capped   atomic.Bool // the windows are capped at their share (set under mu)

	mu        sync.Mutex
	log       *slog.Logger
	gates     []*gate
	grace     time.Duration // capped after a recovery for this long
	warned    bool          // the fallback was logged; the recovery not yet
	proberOn  bool          // a prober goroutine is at work
	probeDone chan struct{} // closed when the probe under way ends
	probeWait bool          // callers wait for the probe under way
	graceEnd  time.Time     // when capped and Redis is back: uncap after

	grants   atomic.Int64
	wasted   atomic.Int64
	fallback atomic.Int64
	late     atomic.Int64
	pushed   atomic.Int64 // nanoseconds
}

// slotUnits is the number of GCRA units a slot is made of: the schedule
// is kept in units of 1/slotUnits of a slot's interval, so that a late
// request can push it back by about as much as it was late (see
// gate.push), not by a whole slot.
const slotUnits = 64

// store is what the limiter asks of Redis: redis_rate's AllowN.
type store interface {
	AllowN(ctx context.Context, key string, limit redis_rate.Limit, n int) (*redis_rate.Result, error)
}

// New returns a limiter that keeps budgets in rdb. It panics if rdb is nil.
func New(rdb redis.UniversalClient, opts ...Option) *Limiter {
	if rdb == nil {
		panic("redislimit: New with a nil Redis client")
	}
	return newLimiter(redis_rate.NewLimiter(rdb), opts...)
}

func newLimiter(st store, opts ...Option) *Limiter {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	l := &Limiter{cfg: cfg.withDefaults(), store: st, log: slog.New(slog.DiscardHandler)}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

// Gate returns the shared schedule of one budget; vkapi.New calls it once
// per budget.
func (l *Limiter) Gate(b vkapi.SharedBudget) vkapi.SharedGate {
	n, per := max(b.N, 1), b.Per
	if per <= 0 {
		per = time.Second
	}
	margin, tol := l.cfg.marginFor(per)
	g := &gate{
		l:        l,
		id:       b.ID,
		capFn:    b.Cap,
		limit:    redis_rate.Limit{Rate: n * slotUnits, Burst: (l.cfg.lookahead + 1) * slotUnits, Period: per + margin},
		interval: (per + margin) / time.Duration(n*slotUnits) * slotUnits, // whole units, as Redis counts
		tol:      tol,
		share:    max(1, int(float64(n)*l.cfg.share+1e-9)),
	}
	g.unit = g.interval / slotUnits
	g.pause = per + margin + time.Duration(l.cfg.lookahead)*g.interval
	if g.id == nil {
		g.id = func() string { return "" }
	}
	if g.capFn == nil {
		g.capFn = func(int, time.Time) {}
	}
	l.mu.Lock()
	if b.Logger != nil {
		l.log = b.Logger
	}
	l.grace = max(l.grace, l.cfg.probe+l.cfg.timeout+per+margin)
	l.gates = append(l.gates, g)
	l.mu.Unlock()
	return g
}

// Close stops the limiter: waiting Pass calls return ErrClosed, and Close
// waits for every goroutine the limiter started (a Redis call under way
// ends within rdb's own timeouts). It returns nil; closing twice is safe.
func (l *Limiter) Close() error {
	l.spawnMu.Lock()
	first := !l.closed
	l.closed = true
	l.spawnMu.Unlock()
	if first {
		l.cancel()
		l.mu.Lock()
		gates := l.gates
		l.mu.Unlock()
		for _, g := range gates {
			g.mu.Lock()
			g.sendBackLocked(ErrClosed)
			g.mu.Unlock()
		}
	}
	l.wg.Wait()
	return nil
}

// Stats are counts of what a Limiter did.
type Stats struct {
	// Grants counts the requests let go on a slot of the shared schedule.
	Grants int64
	// Wasted counts the slots reserved in Redis and not used: their
	// request was too late for them, or gave up.
	Wasted int64
	// Fallback counts the requests let go on the local share alone, while
	// Redis was away.
	Fallback int64
	// Late counts the requests that went later after their slot than the
	// tolerance, and pushed the shared schedule back by the excess; Pushed
	// is the sum of those pushes.
	Late   int64
	Pushed time.Duration
	// Away reports that Redis is away now: the limiter keeps to the share.
	Away bool
}

// Stats returns what the limiter did so far.
func (l *Limiter) Stats() Stats {
	return Stats{Grants: l.grants.Load(), Wasted: l.wasted.Load(), Fallback: l.fallback.Load(), Late: l.late.Load(), Pushed: time.Duration(l.pushed.Load()), Away: l.state.Load()&1 == 1}
}

// spawn runs f in a goroutine Close waits for; it reports false, and runs
// nothing, once the limiter is closed.
func (l *Limiter) spawn(f func()) bool {
	l.spawnMu.Lock()
	defer l.spawnMu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}

// sleep waits for d, or less if ctx ends (its cause) or the limiter is
// closed (ErrClosed).
func (l *Limiter) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-l.ctx.Done():
		return ErrClosed
	}
}

// allow asks Redis for cost slots of key, waiting at most the timeout
// whatever rdb's own timeouts are: a call still under way then goes on in
// the background, and its answer, even a grant, is dropped. It returns
// the answer and the span in which Redis read its clock: t0 and t1 are
// read by the goroutine that makes the call, just before and after it, so
// that the hand-over between goroutines (slow on a busy machine) does not
// widen the span.
func (l *Limiter) allow(key string, lim redis_rate.Limit, cost int) (res *redis_rate.Result, t0, t1 time.Time, err error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.timeout)
	defer cancel()
	type answer struct {
		res    *redis_rate.Result
		t0, t1 time.Time
		err    error
	}
	ch := make(chan answer, 1)
	if !l.spawn(func() {
		t0 := time.Now()
		res, err := l.store.AllowN(ctx, key, lim, cost)
		ch <- answer{res, t0, time.Now(), err}
	}) {
		return nil, t0, t1, ErrClosed
	}
	select {
	case a := <-ch:
		if a.err == nil && a.res == nil {
			a.err = errors.New("no result")
		}
		return a.res, a.t0, a.t1, a.err
	case <-ctx.Done():
		if l.ctx.Err() != nil {
			return nil, t0, t1, ErrClosed
		}
		return nil, t0, t1, fmt.Errorf("no answer from Redis within %v", l.cfg.timeout)
	}
}
