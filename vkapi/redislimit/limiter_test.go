package redislimit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/loadtest"
	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

func TestGateParameters(t *testing.T) {
	const tok = "vk1.a.secretTokenValue"
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	l := testLimiter(t, rdb)
	vkapi.New(tok, vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithSharedLimiter(l))
	if len(l.gates) != 2 {
		t.Fatalf("%d gates", len(l.gates))
	}
	main, secure := l.gates[0], l.gates[1]
	if main.currentKey() != tokenKey(DefaultKeyPrefix, tok, "") || secure.currentKey() != tokenKey(DefaultKeyPrefix, tok, ":secure") ||
		strings.Contains(main.currentKey(), tok) {
		t.Fatalf("keys %q %q", main.currentKey(), secure.currentKey())
	}
	// The schedule: 20 per 1.015625 s (the window and the default margin,
	// in units of 1/64 slot), one slot every 50.78 ms, two ahead; the share
	// 6 of 20 and 1 of 5.
	margin := time.Second / DefaultMarginDivisor
	if main.limit.Rate != 20*slotUnits || main.limit.Period != time.Second+margin || main.limit.Burst != 3*slotUnits ||
		main.interval.Round(time.Microsecond) != ((time.Second+margin)/20).Round(time.Microsecond) || main.share != 6 || secure.share != 1 || main.tol != margin/3 {
		t.Fatalf("gate %+v %v share %d/%d tol %v", main.limit, main.interval, main.share, secure.share, main.tol)
	}
	// Limit.Off: no gate.
	off := testLimiter(t, rdb)
	vkapi.New(tok, vkapi.WithLimit(vkapi.Limit{Off: true}), vkapi.WithSharedLimiter(off))
	if len(off.gates) != 0 {
		t.Fatal("a gate with the limiter off")
	}
	// Options.
	l = testLimiter(t, rdb, KeyPrefix("x:"), Replicas(2), Margin(100*time.Millisecond), Tolerance(30*time.Millisecond), Lookahead(4))
	vkapi.New(tok, vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithSharedLimiter(l))
	g := l.gates[0]
	if g.limit != (redis_rate.Limit{Rate: 3 * slotUnits, Burst: 5 * slotUnits, Period: 1100 * time.Millisecond}) || g.share != 1 || g.tol != 30*time.Millisecond ||
		!strings.HasPrefix(g.currentKey(), "x:") {
		t.Fatalf("gate %+v share %d key %q", g.limit, g.share, g.currentKey())
	}
	l = testLimiter(t, rdb, FallbackShare(0.5))
	vkapi.New(tok, vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithSharedLimiter(l))
	if g := l.gates[0]; g.share != 10 {
		t.Fatalf("share %d", g.share)
	}
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	New(nil)
}

// TestRedisLimiterTwoClients: two clients in one process, on one token,
// sharing the budget through Redis, against vkmock's strict window: no
// error 6, never more than the budget, both clients served by Redis. How
// close to the budget they come depends on how busy the machine is: the
// schedule's exact pace is TestScheduleFakeClock's, and the figure on
// loopback BenchmarkRedisSharedLimit's (see BENCHMARKS.md), not a bound
// here (a floor of 70% failed 1 run in 20 on the loaded 2-core machine).
func TestRedisLimiterTwoClients(t *testing.T) {
	// Not parallel: it counts errors 6 near the full budget on a real
	// clock, and runs apart from TestRedisSharedLimitProcesses, which does too.
	addr := redistest.Addr(t)
	s := vkmocktest.NewServer(t)
	prefix := testKeyPrefix(t)
	var clients [2]*vkapi.Client
	var lims [2]*Limiter
	for i := range clients {
		lims[i] = testLimiter(t, testRedisClient(t, addr), KeyPrefix(prefix), Margin(ciMargin))
		clients[i] = groupClient(s, lims[i])
	}
	d := 2 * time.Second
	var wg sync.WaitGroup
	var res [2]loadtest.Result
	for i, c := range clients {
		wg.Go(func() { res[i] = runLoad(c, 20, d, "users.get", vkapi.Params{"user_ids": 1}) })
	}
	wg.Wait()
	recs := s.Requests().Of("users.get")
	ok := res[0].OK + res[1].OK
	if n := countCode(recs, vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	for _, r := range res {
		if r.Other != 0 {
			t.Errorf("%d failed calls; first: %v", r.Other, r.FirstErr)
		}
	}
	util := float64(ok) / (20 * d.Seconds())
	t.Logf("2 clients: %d + %d calls in %v: %.1f%% of the budget; stats %+v %+v", res[0].OK, res[1].OK, d, 100*util, lims[0].Stats(), lims[1].Stats())
	if util > 1.0 {
		t.Errorf("utilisation %.1f%%: over the budget", 100*util)
	}
	if res[0].OK == 0 || res[1].OK == 0 {
		t.Errorf("a client starved: %d / %d", res[0].OK, res[1].OK)
	}
	for _, l := range lims {
		if st := l.Stats(); st.Away || st.Fallback != 0 || st.Grants == 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestRedisKeysNeverHoldToken: the token is in no Redis key or value, and
// the key of its budget is the hash the docs promise.
func TestRedisKeysNeverHoldToken(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	addr := redistest.Addr(t)
	s := vkmocktest.NewServer(t)
	tok := s.Tokens().Of(vkmock.TokenGroup).Token
	prefix := testKeyPrefix(t)
	rdb := testRedisClient(t, addr)
	c := groupClient(s, testLimiter(t, rdb, KeyPrefix(prefix)))
	for range 5 {
		if err := c.Call(context.Background(), "users.get", vkapi.Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	want := "rate:" + tokenKey(prefix, tok, "")
	// The schedule's key lives about a window: look for it at once, then
	// scan the keys of this test's prefix (a Redis shared with other
	// tests may hold many more, and a scan of them all can outlast it).
	if n, err := rdb.Exists(ctx, want).Result(); err != nil || n != 1 {
		t.Errorf("no key %q (%v)", want, err)
	}
	scanned := 0
	iter := rdb.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		scanned++
		if strings.Contains(k, tok) {
			t.Errorf("key %q holds the token", k)
		}
		if typ, err := rdb.Type(ctx, k).Result(); err == nil && typ == "string" {
			if v, err := rdb.Get(ctx, k).Result(); err == nil && strings.Contains(v, tok) {
				t.Errorf("value of %q holds the token", k)
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Errorf("no key of prefix %q to check", prefix)
	}
	if strings.Contains(want, tok) {
		t.Fatal("the key holds the token")
	}
}

// deadRedisAddr returns an address where nothing listens.
func deadRedisAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRedisLimiterUnreachable: with Redis refusing connections from the
// start, calls go on at the local share, with one warning, no error 6 and
// no token in the log.
func TestRedisLimiterUnreachable(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	s := vkmocktest.NewServer(t)
	tok := s.Tokens().Of(vkmock.TokenGroup).Token
	var logs syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l := testLimiter(t, testRedisClient(t, deadRedisAddr(t)), Replicas(4), ProbeInterval(200*time.Millisecond))
	c := groupClient(s, l, vkapi.WithLogger(log))
	d := 2 * time.Second
	res := runLoad(c, 10, d, "users.get", vkapi.Params{"user_ids": 1})
	if res.Other != 0 {
		t.Errorf("%d failed calls; first: %v", res.Other, res.FirstErr)
	}
	if n := countCode(s.Requests().Of("users.get"), vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	// 5 per second after a pause of about a second: 5 to 10 calls in 2 s.
	if res.OK < 4 || res.OK > 11 {
		t.Errorf("%d calls at a share of 5/s in %v", res.OK, d)
	}
	if n := logs.Count(logFallback); n != 1 {
		t.Errorf("%d fallback warnings:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), tok) {
		t.Error("the token is in the log")
	}
	if st := l.Stats(); !st.Away || st.Fallback != int64(res.OK) {
		t.Errorf("stats %+v for %d calls", st, res.OK)
	}
	t.Logf("%d calls in %v on the fallback share", res.OK, d)
}

// TestRedisLimiterHung: a Redis that accepts connections and never answers
// costs a caller no more than the limiter's timeout, not rdb's.
func TestRedisLimiterHung(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, cn)
			mu.Unlock()
		}
	}()
	hangUp := func() {
		ln.Close()
		mu.Lock()
		for _, cn := range conns {
			cn.Close()
		}
		mu.Unlock()
	}
	t.Cleanup(hangUp)
	s := vkmocktest.NewServer(t)
	var logs syncbuf.Buffer
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: 10 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	l := testLimiter(t, rdb, Timeout(100*time.Millisecond))
	// Cleanups run last first: the hung Redis hangs up before the limiter
	// closes, so Close does not wait out rdb's read timeout on the request
	// still in flight (10 s of every run).
	t.Cleanup(hangUp)
	c := groupClient(s, l, vkapi.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	start := time.Now()
	for range 3 {
		if err := c.Call(context.Background(), "users.get", vkapi.Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// One timeout, then the fallback's pause (1.05 s + 2 slots), then the
	// share: about 1.2 s. Waiting on rdb's read timeout instead would take
	// 10 s; the bound lies between, far from both (a loaded machine's
	// pauses reach 1 s: TestRedisLimiterContextCancel met one).
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("3 calls took %v", el)
	}
	if n := logs.Count(logFallback); n != 1 || logs.Count("no answer from Redis within 100ms") != 1 {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestRedisLimiterContextCancel: a call waiting for its slot in the shared
// schedule ends when its context does, and gives its window slot back.
func TestRedisLimiterContextCancel(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	addr := redistest.Addr(t)
	s := vkmocktest.NewServer(t)
	// 20 requests per 1 s + 599 s: one slot every 30 s, one ahead. The
	// window (20/s) never makes the calls wait; the schedule does. A call
	// that returns within 10 s ended with its context, not at its slot: a
	// bound far from both, that a loaded machine's pauses do not reach (one
	// of 1 s made the bound of 1 s fail, with a slot every 6 s).
	l := testLimiter(t, testRedisClient(t, addr), KeyPrefix(testKeyPrefix(t)), Margin(599*time.Second), Lookahead(1))
	c := groupClient(s, l)
	if err := c.Call(context.Background(), "users.get", vkapi.Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the reserved slot, then a wait for a reservation
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := c.Call(ctx, "users.get", vkapi.Params{"user_ids": 1}, nil)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	}
	g := l.gates[0]
	g.mu.Lock()
	queued := len(g.queue)
	g.mu.Unlock()
	if queued != 0 {
		t.Errorf("%d queued in the gate", queued)
	}
	// The window's slot was given back: the limiter off, a call goes at once.
	if st := l.Stats(); st.Grants != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := len(s.Requests().Of("users.get")); n != 1 {
		t.Errorf("%d requests", n)
	}
}

// TestRedisLimiterRecovers: in one process, Redis killed and restarted
// under load: the client falls back once, comes back, and every call
// completes.
func TestRedisLimiterRecovers(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	rs := redistest.StartServer(t)
	s := vkmocktest.NewServer(t)
	var logs syncbuf.Buffer
	l := testLimiter(t, testRedisClient(t, rs.Addr), KeyPrefix(testKeyPrefix(t)), ProbeInterval(200*time.Millisecond))
	c := groupClient(s, l, vkapi.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	called := make(chan struct{}, 1) // a call ended: the counts may have moved
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := c.Call(ctx, "users.get", vkapi.Params{"user_ids": 1}, nil)
				cancel()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
				select {
				case called <- struct{}{}:
				default:
				}
			}
		})
	}
	// Each phase waits for the limiter's own counts, which move as calls
	// end, within a bound.
	waitFor := func(what string, cond func(Stats) bool) {
		t.Helper()
		bound := time.NewTimer(10 * time.Second)
		defer bound.Stop()
		for !cond(l.Stats()) {
			select {
			case <-called:
			case <-bound.C:
				t.Fatalf("no %s within 10 s: %+v", what, l.Stats())
			}
		}
	}
	waitFor("grants", func(s Stats) bool { return s.Grants >= 5 })
	grantsBefore := l.Stats().Grants
	rs.Kill()
	// Detection, the pause (1.1 s), then the share.
	waitFor("requests on the share", func(s Stats) bool { return s.Fallback >= 3 })
	fallback := l.Stats().Fallback
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor("return to Redis", func(s Stats) bool { return !s.Away })
	grantsBack := l.Stats().Grants
	waitFor("grants after the return", func(s Stats) bool { return s.Grants >= grantsBack+3 })
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d failed calls; first: %v", failed.Load(), firstErr.Load())
	}
	if n := countCode(s.Requests().Of("users.get"), vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	if logs.Count(logFallback) != 1 || logs.Count(logBack) != 1 {
		t.Errorf("log:\n%s", logs.String())
	}
	if st := l.Stats(); grantsBefore == 0 || fallback == 0 || st.Away || l.state.Load() != 2 || st.Grants <= grantsBack {
		t.Errorf("grants before %d, fallback requests %d, state %d, grants after the return %d → %d",
			grantsBefore, fallback, l.state.Load(), grantsBack, st.Grants)
	}
	t.Logf("%d calls; %d requests on the fallback share", ok.Load(), l.Stats().Fallback)
}

// TestRedisLimiterCloseNoLeak: a client with a Redis limiter under load,
// then Close of the limiter (which the client's Close calls): every
// goroutine the limiter started has ended, and waiting calls end with
// ErrClosed.
func TestRedisLimiterCloseNoLeak(t *testing.T) {
	addr := redistest.Addr(t)
	s := vkmocktest.NewServer(t)
	rdb := redis.NewClient(redisTestOptions(addr))
	tr := &http.Transport{}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer rdb.Close()
	defer tr.CloseIdleConnections()
	l := New(rdb, KeyPrefix(testKeyPrefix(t)))
	c := groupClient(s, l, vkapi.WithHTTPClient(&http.Client{Transport: tr}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 40)
	for range 40 { // two windows' worth: some wait for slots when Close comes
		go func() { errs <- c.Call(ctx, "users.get", vkapi.Params{"user_ids": 1}, nil) }()
	}
	var ok, closed int
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		ok++
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, ErrClosed):
			closed++
		default:
			t.Fatalf("err %v", err)
		}
	}
	if closed == 0 {
		t.Errorf("%d calls went, none ended by Close", ok)
	}
}
