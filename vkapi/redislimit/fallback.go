package redislimit

import (
	"context"
	"log/slog"
	"time"

	"github.com/vkerr/vkerr/vkapi"
)

// goDown switches to the fallback: it caps every window at its share and
// pauses it, then publishes the new state, logs the first time in an
// outage, and sends the queued waiters back to their windows.
func (l *Limiter) goDown(cause error) {
	now := time.Now()
	l.mu.Lock()
	if l.state.Load()&1 == 1 {
		l.mu.Unlock()
		return
	}
	gates := l.gates
	for _, g := range gates {
		g.capFn(g.share, now.Add(g.pause))
	}
	l.capped.Store(true)
	l.state.Add(1)
	warn := !l.warned
	l.warned = true
	l.startProberLocked(true)
	log := l.log
	l.mu.Unlock()
	// Log before the waiting calls go on: the record of the outage comes
	// before anything they do.
	if warn {
		log.LogAttrs(context.Background(), slog.LevelWarn,
			"vkapi: Redis limiter unreachable; keeping to a local share of the rate budget until it answers",
			slog.String("err", cause.Error()), slog.Float64("share", l.cfg.share))
	}
	for _, g := range gates {
		g.mu.Lock()
		g.sendBackLocked(vkapi.ErrRetrySlot)
		g.mu.Unlock()
	}
}

// startProber starts a prober unless one is at work. After a switch to
// the fallback (down) the first probe is one interval away. Otherwise the
// process had no traffic for a while and did not look for Redis: the first
// probe goes at once, and the callers wait for its answer before they send
// on their share, for other processes may have long been back on Redis.
func (l *Limiter) startProber(down bool) {
	l.mu.Lock()
	l.startProberLocked(down)
	l.mu.Unlock()
}

func (l *Limiter) startProberLocked(down bool) {
	if l.proberOn || l.state.Load()&1 == 0 {
		return
	}
	var done chan struct{}
	if !down {
		done = make(chan struct{})
	}
	if !l.spawn(func() { l.prober(done) }) {
		return
	}
	l.proberOn = true
	if done != nil {
		l.probeDone, l.probeWait = done, true
	}
}

// waitProbe waits, as long as ctx allows, for the answer of a probe
// callers must wait for (see startProber); at most the timeout.
func (l *Limiter) waitProbe(ctx context.Context) error {
	l.mu.Lock()
	ch := l.probeDone
	if !l.probeWait {
		ch = nil
	}
	l.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-l.ctx.Done():
		return ErrClosed
	}
}

// prober asks Redis whether it is back, once per probe interval, while
// Redis is away and the client has traffic; it stops when Redis answers,
// when an interval went by without any acquisition, or when the limiter is
// closed. A probe runs the limiter's script with a cost of zero: it tells
// whether Redis answers it, without taking a slot. Nobody waits for these
// probes, except for the first one when done is not nil (see
// startProber), which done's closing announces.
func (l *Limiter) prober(done chan struct{}) {
	last := l.activity.Load()
	for {
		if done == nil {
			err := l.sleep(context.Background(), l.cfg.probe)
			l.mu.Lock()
			act := l.activity.Load()
			if err != nil || l.state.Load()&1 == 0 || act == last {
				l.proberOn = false
				l.mu.Unlock()
				return
			}
			last = act
			done = make(chan struct{})
			l.probeDone, l.probeWait = done, false
			l.mu.Unlock()
		}
		g := l.gates[0]
		_, _, _, err := l.allow(g.currentKey(), g.limit, 0)
		l.mu.Lock()
		back := false
		if err == nil {
			if l.state.Load()&1 == 1 {
				l.graceEnd = time.Now().Add(l.grace)
				l.state.Add(1)
			}
			back, l.warned = l.warned, false
		}
		stop := err == nil || l.ctx.Err() != nil
		if stop {
			l.proberOn = false
		}
		log := l.log
		l.mu.Unlock()
		// Log before the waiting callers go on: the record of the return
		// comes before anything they do.
		if back {
			log.LogAttrs(context.Background(), slog.LevelInfo,
				"vkapi: Redis limiter answers again; drawing from the shared budget")
		}
		l.mu.Lock()
		if l.probeDone == done {
			l.probeDone, l.probeWait = nil, false
		}
		l.mu.Unlock()
		close(done)
		done = nil
		if stop {
			return
		}
	}
}

// uncapIfDue lifts the windows' cap once Redis has been back for the grace
// period.
func (l *Limiter) uncapIfDue() {
	if !l.capped.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.capped.Load() || l.state.Load()&1 == 1 || time.Now().Before(l.graceEnd) {
		return
	}
	l.capped.Store(false)
	for _, g := range l.gates {
		g.capFn(0, time.Time{})
	}
}
