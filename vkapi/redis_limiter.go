package vkapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisKeyPrefix is the prefix of the Redis keys of WithRedisLimiter
// unless RedisKeyPrefix says otherwise. redis_rate puts "rate:" before it.
const DefaultRedisKeyPrefix = "vkapi:"

// Defaults of WithRedisLimiter's options.
const (
	// DefaultRedisReplicas is the number of processes assumed to share a
	// token when Redis is away: each falls back to 1/3 of the budget.
	DefaultRedisReplicas = 3
	// DefaultRedisLookahead is how many slots of a token's shared schedule
	// may be handed out before their time.
	DefaultRedisLookahead = 2
	// DefaultRedisTimeout bounds every Redis round trip of the limiter.
	DefaultRedisTimeout = 200 * time.Millisecond
	// DefaultRedisProbeInterval is how often, at most, the limiter asks an
	// unreachable Redis whether it is back.
	DefaultRedisProbeInterval = time.Second
)

// RedisLimitOption configures WithRedisLimiter.
type RedisLimitOption func(*redisConfig)

type redisConfig struct {
	rdb       redis.UniversalClient
	prefix    string
	share     float64
	margin    time.Duration
	lookahead int
	timeout   time.Duration
	probe     time.Duration
}

// RedisKeyPrefix sets the prefix of the limiter's Redis keys. A key is the
// prefix, then the first 32 hex digits of the token's SHA-256, then
// ":secure" for the secure.* budget; redis_rate adds "rate:" in front, so
// the default key of a token looks like "rate:vkapi:3f2a…". The token itself
// is never sent to Redis. Empty keeps DefaultRedisKeyPrefix.
func RedisKeyPrefix(prefix string) RedisLimitOption {
	return func(c *redisConfig) { c.prefix = prefix }
}

// RedisReplicas says how many processes are expected to share a token:
// while Redis is unreachable each process keeps to 1/n of the budget
// (rounded down, at least one request per window), so that n processes
// cut off from Redis together still keep to it. Zero or negative keeps
// DefaultRedisReplicas. It is RedisFallbackShare(1/n).
func RedisReplicas(n int) RedisLimitOption {
	return func(c *redisConfig) {
		if n > 0 {
			c.share = 1 / float64(n)
		}
	}
}

// RedisFallbackShare sets the share of the budget (0 < share <= 1) this
// process keeps to while Redis is unreachable. Out-of-range values keep the
// default, 1/DefaultRedisReplicas.
func RedisFallbackShare(share float64) RedisLimitOption {
	return func(c *redisConfig) {
		if share > 0 && share <= 1 {
			c.share = share
		}
	}
}

// RedisMargin sets the margin added to the window in the shared schedule:
// a token's budget of n requests per window Per is handed out as n slots
// per Per+margin, evenly spaced, which is 1-margin/(Per+margin) of the
// budget, and absorbs up to margin of jitter between the moment Redis
// hands out a slot and the moment the request reaches the server. Zero or
// negative keeps the default, Per/20 (50 ms for VK's one-second window:
// 95.2% of the budget).
func RedisMargin(d time.Duration) RedisLimitOption {
	return func(c *redisConfig) { c.margin = d }
}

// RedisLookahead sets how many slots of a token's shared schedule may be
// handed out ahead of their time (the GCRA burst is n+1). Requests still go
// at their slot's time, never sooner, so this hides Redis round trips and
// lets waiting requests go exactly on schedule; it never lets requests
// bunch up. Zero or negative keeps DefaultRedisLookahead.
func RedisLookahead(n int) RedisLimitOption {
	return func(c *redisConfig) { c.lookahead = n }
}

// RedisTimeout bounds each Redis round trip of the limiter; one that takes
// longer counts as Redis being unreachable. The limiter stops waiting then
// whatever rdb's own timeouts are. Zero or negative keeps
// DefaultRedisTimeout.
func RedisTimeout(d time.Duration) RedisLimitOption {
	return func(c *redisConfig) { c.timeout = d }
}

// RedisProbeInterval sets how often, at most, the limiter asks an
// unreachable Redis whether it is back. Zero or negative keeps
// DefaultRedisProbeInterval.
func RedisProbeInterval(d time.Duration) RedisLimitOption {
	return func(c *redisConfig) { c.probe = d }
}

// WithRedisLimiter makes every process that uses a token draw from one
// budget kept in Redis (with github.com/go-redis/redis_rate), so that
// replicas of a bot sharing a community token keep to its 20 requests per
// second together. Every process must use the same Limit, margin and key
// prefix. A nil rdb keeps the in-process limiter alone, and so does
// Limit.Off (no limiter at all).
//
// # The schedule
//
// VK, like vkmock, counts a strict rolling window: at most n requests in
// any span of Per. redis_rate keeps GCRA, which with a burst b lets b
// requests through at once and then one per interval, up to about
// b + rate×Per requests in a span of Per: with the obvious burst (n) and
// rate (n per Per) that is twice the budget. And even a burst of 1 is not
// enough, because what Redis spaces evenly reaches the server unevenly: the
// Redis round trip, the scheduler and the network move each request by a
// few milliseconds, so n+1 of them can land within Per.
//
// So the limiter uses GCRA as a ticket dispenser, not as a gate. A token's
// budget is handed out as n slots per Per+margin, one every
// interval = (Per+margin)/n, and each grant is a reservation of one slot:
// its time is the GCRA's theoretical arrival time before the grant, which
// Redis reports (ResetAfter - interval), and the request waits for that
// time before it goes. The burst, lookahead+1, only says how far ahead
// slots may be reserved. Requests therefore leave evenly spaced whatever
// the number of processes, and n+1 of them land within Per only if the
// jitter between slot and arrival exceeds margin (n intervals are Per +
// margin). A request is late when it leaves after its slot: the slot's
// local time is only known within the Redis round trip (Redis read its
// clock somewhere between the request and the answer; the limiter takes
// the answer's time), and the process may wake up late. Lateness is what
// bunches requests up, so it is bounded: a request whose round trip plus
// wake-up delay exceeds margin/2 does not go on its slot but reserves
// another, first in line (a wasted slot only costs throughput). The other
// half of the margin is for the trip to the server and the server's own
// delays. Measured with three processes against vkmock for 10 s (see
// BENCHMARKS.md): no error 6, 94.5% of the budget (the ceiling is 95.2%),
// and 21 arrivals never closer than 1.042 s; plain GCRA gates of 20/s got
// 39 errors 6 with burst 20, and with burst 1 came within 6 ms of one (and
// got some on a busy machine).
//
// The in-process window stays in front: a request first takes a slot of
// the token's own strict window (so one process never has more than n in
// flight or in the window, and an error 6 still pauses it), then its slot
// in the shared schedule. With the schedule at n per Per+margin, the own
// window never binds in steady state.
//
// # When Redis is away
//
// If Redis errors or does not answer within RedisTimeout, the client says
// so once in its log (a warning) and keeps working on a local share of
// the budget (RedisReplicas, RedisFallbackShare) in the same strict window,
// after one pause of Per+margin plus the lookahead, so that the requests
// other processes sent on Redis slots have left the server's window before
// fallback requests arrive. While Redis is away and calls keep coming, a
// background probe asks it, at most once per RedisProbeInterval and within
// RedisTimeout, whether it is back (it runs the limiter's script at a cost
// of zero, taking no slot); callers do not wait for it. A client that had
// no calls for a probe interval asks at its next call, and that call waits
// for the answer (at most RedisTimeout) before it goes on the share, for
// the other processes may long be back on Redis. When Redis answers, the
// client logs so and draws from it again, still capped at its share for a
// probe interval, the timeout and a window, so that processes not yet back
// on Redis cannot add to a full shared schedule. No call is lost or
// sent twice because of any of this: Redis only decides when requests go.
// The fallback keeps to the budget when every process is cut off from
// Redis at once; a process cut off alone adds its share to the others' full
// schedule (the server then answers 6, which the client retries).
//
// Each token of the pool (WithTokens) has a schedule of its own, and the
// secure.* methods another; with the Redis limiter the pool takes tokens in
// turn rather than looking for one that is free without waiting.
//
// Give rdb short timeouts of its own (dial, read, write, pool) too: the
// limiter stops waiting for a hung call after RedisTimeout, but the call
// goes on in the background until rdb gives up.
func WithRedisLimiter(rdb redis.UniversalClient, opts ...RedisLimitOption) Option {
	return func(c *config) {
		if rdb == nil {
			c.redis = nil
			return
		}
		rc := &redisConfig{rdb: rdb}
		for _, o := range opts {
			if o != nil {
				o(rc)
			}
		}
		c.redis = rc
	}
}

// redisShared is the Redis limiter of one client: its state and its gates.
type redisShared struct {
	lim        *redis_rate.Limiter
	log        *slog.Logger
	errString  func(error) string
	timeout    time.Duration
	probeEvery time.Duration
	grace      time.Duration // capped after a recovery for this long
	share      float64
	gates      []*redisGate // set before the client is used

	// state counts the transitions between Redis and the fallback: odd
	// while Redis is away and the windows are capped.
	state atomic.Uint64

	// activity counts the acquisitions while Redis is away, to tell the
	// prober there is traffic.
	activity atomic.Uint64

	mu        sync.Mutex
	warned    bool          // the fallback was logged; the recovery not yet
	proberOn  bool          // a prober goroutine is at work
	probeDone chan struct{} // closed when the probe under way ends
	probeWait bool          // callers wait for the probe under way
	graceEnd  time.Time     // when capped and Redis is back: uncap after

	capped atomic.Bool // the windows are capped at their share (set under mu)

	// for tests and the benchmark
	grants   atomic.Int64 // slots granted to requests
	wasted   atomic.Int64 // slots reserved and not used
	fallback atomic.Int64 // requests let go on the local share alone
}

// redisGate is the shared schedule of one token and bucket (ordinary or
// secure.* methods): the gate of its window.
type redisGate struct {
	sh       *redisShared
	pool     *pool
	e        *entry
	win      *window
	suffix   string
	prefix   string
	limit    redis_rate.Limit
	interval time.Duration // one slot every interval
	tol      time.Duration // the lateness a request may go with
	share    int           // the window's budget while Redis is away
	pause    time.Duration // no request for this long when Redis goes away

	mu      sync.Mutex
	queue   []*slotWaiter
	running bool   // a reserver goroutine is at work
	keyTok  string // the token key was made from
	key     string
}

type slotWaiter struct {
	ch    chan struct{}
	done  bool          // granted or sent back, under the gate's mu
	retry bool          // sent back: Redis went away
	slot  time.Time     // granted: go at this time
	rtt   time.Duration // the uncertainty of slot: it may be due since rtt earlier
}

// attach puts a gate on every window of c's pool.
func (rc *redisConfig) attach(c *Client) {
	per := c.limit.Per
	if rc.prefix == "" {
		rc.prefix = DefaultRedisKeyPrefix
	}
	if rc.share <= 0 {
		rc.share = 1.0 / DefaultRedisReplicas
	}
	if rc.margin <= 0 {
		rc.margin = per / 20
	}
	if rc.lookahead <= 0 {
		rc.lookahead = DefaultRedisLookahead
	}
	if rc.timeout <= 0 {
		rc.timeout = DefaultRedisTimeout
	}
	if rc.probe <= 0 {
		rc.probe = DefaultRedisProbeInterval
	}
	s := &redisShared{
		lim:        redis_rate.NewLimiter(rc.rdb),
		log:        c.log,
		errString:  c.errString,
		timeout:    rc.timeout,
		probeEvery: rc.probe,
		grace:      rc.probe + rc.timeout + per + rc.margin,
		share:      rc.share,
	}
	for _, e := range c.pool.entries {
		for _, w := range []*window{e.main, e.secure} {
			g := &redisGate{sh: s, pool: c.pool, e: e, win: w, prefix: rc.prefix}
			if w == e.secure {
				g.suffix = ":secure"
			}
			n := w.n
			g.limit = redis_rate.Limit{Rate: n, Burst: rc.lookahead + 1, Period: per + rc.margin}
			g.interval = (per + rc.margin) / time.Duration(n)
			g.tol = rc.margin / 2
			g.share = max(1, int(float64(n)*rc.share+1e-9))
			g.pause = per + rc.margin + time.Duration(rc.lookahead)*g.interval
			w.gate = g
			s.gates = append(s.gates, g)
		}
	}
}

// redisKey returns the key of a token's budget: never the token itself.
func redisKey(prefix, token, suffix string) string {
	sum := sha256.Sum256([]byte(token))
	return prefix + hex.EncodeToString(sum[:16]) + suffix
}

// ticket returns the state, and while Redis is away notes the traffic and
// has a prober look for Redis.
func (g *redisGate) ticket() uint64 {
	st := g.sh.state.Load()
	if st&1 == 1 {
		g.sh.activity.Add(1)
		g.sh.startProber(false)
	}
	return st
}

// pass waits for the request's slot in the shared schedule; see
// WithRedisLimiter.
func (g *redisGate) pass(ctx context.Context, tk uint64) error {
	front := false
	for {
		st := g.sh.state.Load()
		if st&1 == 1 {
			// Redis is away: the window, capped at the share, is the limit.
			if err := g.sh.waitProbe(ctx); err != nil {
				return err
			}
			if st = g.sh.state.Load(); st&1 == 1 {
				if tk != st {
					return errRetrySlot // taken before the cap
				}
				g.sh.fallback.Add(1)
				return nil
			}
		}
		g.sh.uncapIfDue()
		wt := &slotWaiter{ch: make(chan struct{})}
		g.enqueue(wt, front)
		select {
		case <-wt.ch:
		case <-ctx.Done():
			if !g.cancel(wt) && !wt.retry {
				g.sh.wasted.Add(1)
			}
			return context.Cause(ctx)
		}
		if wt.retry {
			return errRetrySlot
		}
		if d := time.Until(wt.slot); d > 0 {
			if err := sleep(ctx, d); err != nil {
				g.sh.wasted.Add(1)
				return err
			}
		}
		if time.Since(wt.slot)+wt.rtt > g.tol {
			// Too late: going now could bunch this request up with the
			// next ones. Reserve another slot, first in line.
			g.sh.wasted.Add(1)
			front = true
			continue
		}
		g.sh.grants.Add(1)
		return nil
	}
}

func (g *redisGate) enqueue(wt *slotWaiter, front bool) {
	g.mu.Lock()
	if front {
		g.queue = append(g.queue, nil)
		copy(g.queue[1:], g.queue)
		g.queue[0] = wt
	} else {
		g.queue = append(g.queue, wt)
	}
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go g.reserve()
	}
}

// cancel takes wt out of the queue; it reports false if it was no longer
// there (granted or sent back).
func (g *redisGate) cancel(wt *slotWaiter) bool {
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

// sendBack hands every queued waiter back to its window (Redis is away).
// Called with mu held.
func (g *redisGate) sendBackLocked() {
	for _, wt := range g.queue {
		wt.done, wt.retry = true, true
		close(wt.ch)
	}
	clear(g.queue)
	g.queue = g.queue[:0]
}

// currentKey returns the Redis key of the entry's current token (a renewed
// token has a budget of its own).
func (g *redisGate) currentKey() string {
	g.pool.mu.Lock()
	tok := g.e.token
	g.pool.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.key == "" || tok != g.keyTok {
		g.key, g.keyTok = redisKey(g.prefix, tok, g.suffix), tok
	}
	return g.key
}

// reserve reserves slots for the queue, first come first served, one
// Redis round trip at a time, until the queue is empty or Redis is away.
// It holds no lock while it talks to Redis or sleeps.
func (g *redisGate) reserve() {
	for {
		g.mu.Lock()
		if len(g.queue) == 0 || g.sh.state.Load()&1 == 1 {
			g.sendBackLocked()
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		key := g.currentKey()
		t0 := time.Now()
		res, err := g.sh.allow(key, g.limit, 1)
		t1 := time.Now()
		if err != nil {
			g.sh.goDown(err)
			continue
		}
		if res.Allowed == 0 {
			d := res.RetryAfter
			if d > time.Second {
				d = time.Second // look again; the queue may have emptied
			}
			time.Sleep(d)
			continue
		}
		rtt := t1.Sub(t0)
		if rtt > g.tol {
			// Redis read its clock somewhere between t0 and t1: the slot
			// may be due since longer than the tolerance.
			g.sh.wasted.Add(1)
			continue
		}
		// The slot's time at the latest (Redis read its clock at t1 at
		// the latest); it may be due since rtt earlier.
		slot := t1.Add(res.ResetAfter - g.interval)
		g.mu.Lock()
		if len(g.queue) > 0 {
			wt := g.queue[0]
			g.queue[0] = nil
			g.queue = g.queue[1:]
			wt.done, wt.slot, wt.rtt = true, slot, rtt
			close(wt.ch)
		} else {
			g.sh.wasted.Add(1)
		}
		g.mu.Unlock()
	}
}

// allow asks Redis for cost slots of key, waiting at most s.timeout
// whatever rdb's own timeouts are: a call still under way then goes on in
// the background, and its answer, even a grant, is dropped.
func (s *redisShared) allow(key string, l redis_rate.Limit, cost int) (*redis_rate.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	type answer struct {
		res *redis_rate.Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		res, err := s.lim.AllowN(ctx, key, l, cost)
		ch <- answer{res, err}
	}()
	select {
	case a := <-ch:
		if a.err == nil && a.res == nil {
			a.err = errors.New("no result")
		}
		return a.res, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer from Redis within %v", s.timeout)
	}
}

// goDown switches to the fallback: it caps every window at its share and
// pauses it, then publishes the new state, sends the queued waiters back to
// their windows, and logs the first time in an outage.
func (s *redisShared) goDown(cause error) {
	now := time.Now()
	s.mu.Lock()
	if s.state.Load()&1 == 1 {
		s.mu.Unlock()
		return
	}
	for _, g := range s.gates {
		g.win.setShare(g.share, now.Add(g.pause))
	}
	s.capped.Store(true)
	s.state.Add(1)
	warn := !s.warned
	s.warned = true
	s.startProberLocked(true)
	s.mu.Unlock()
	for _, g := range s.gates {
		g.mu.Lock()
		g.sendBackLocked()
		g.mu.Unlock()
	}
	if warn {
		s.log.LogAttrs(context.Background(), slog.LevelWarn,
			"vkapi: Redis limiter unreachable; keeping to a local share of the rate budget until it answers",
			slog.String("err", s.errString(cause)), slog.Float64("share", s.share))
	}
}

// startProber starts a prober unless one is at work. After a switch to
// the fallback (down) the first probe is one interval away. Otherwise the
// process had no traffic for a while and did not look for Redis: the first
// probe goes at once, and the callers wait for its answer before they send
// on their share, for other processes may have long been back on Redis.
func (s *redisShared) startProber(down bool) {
	s.mu.Lock()
	s.startProberLocked(down)
	s.mu.Unlock()
}

func (s *redisShared) startProberLocked(down bool) {
	if s.proberOn || s.state.Load()&1 == 0 {
		return
	}
	s.proberOn = true
	if !down {
		s.probeDone, s.probeWait = make(chan struct{}), true
	}
	go s.prober(!down)
}

// waitProbe waits, as long as ctx allows, for the answer of a probe
// callers must wait for (see startProber); at most the timeout.
func (s *redisShared) waitProbe(ctx context.Context) error {
	s.mu.Lock()
	ch := s.probeDone
	if !s.probeWait {
		ch = nil
	}
	s.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// prober asks Redis whether it is back, once per probe interval, while
// Redis is away and the client has traffic; it stops when Redis answers or
// an interval went by without any acquisition. A probe runs the limiter's
// script with a cost of zero: it tells whether Redis answers it, without
// taking a slot. Nobody waits for these probes, except for the first of a
// prober started with now (see startProber).
func (s *redisShared) prober(now bool) {
	last := s.activity.Load()
	for {
		if !now {
			time.Sleep(s.probeEvery)
			s.mu.Lock()
			act := s.activity.Load()
			if s.state.Load()&1 == 0 || act == last {
				s.proberOn = false
				s.mu.Unlock()
				return
			}
			last = act
			s.probeDone, s.probeWait = make(chan struct{}), false
			s.mu.Unlock()
		}
		now = false
		g := s.gates[0]
		_, err := s.allow(g.currentKey(), g.limit, 0)
		s.mu.Lock()
		done := s.probeDone
		s.probeDone, s.probeWait = nil, false
		back := false
		if err == nil {
			if s.state.Load()&1 == 1 {
				s.graceEnd = time.Now().Add(s.grace)
				s.state.Add(1)
			}
			back, s.warned = s.warned, false
			s.proberOn = false
		}
		s.mu.Unlock()
		close(done)
		if err == nil {
			if back {
				s.log.LogAttrs(context.Background(), slog.LevelInfo,
					"vkapi: Redis limiter answers again; drawing from the shared budget")
			}
			return
		}
	}
}

// uncapIfDue lifts the windows' cap once Redis has been back for the grace
// period.
func (s *redisShared) uncapIfDue() {
	if !s.capped.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.capped.Load() || s.state.Load()&1 == 1 || time.Now().Before(s.graceEnd) {
		return
	}
	s.capped.Store(false)
	for _, g := range s.gates {
		g.win.setShare(0, time.Time{})
	}
}
