package vkapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// testKeyPrefix is a key prefix of the test's own, so that tests sharing
// the CI Redis never share a budget.
func testKeyPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "vkapi-test:" + hex.EncodeToString(b[:]) + ":"
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) count(substr string) int { return strings.Count(b.String(), substr) }

const (
	logFallback = "Redis limiter unreachable"
	logBack     = "Redis limiter answers again"
)

// redisShared returns the Redis limiter of c.
func redisSharedOf(t testing.TB, c *Client) *redisShared {
	t.Helper()
	g, ok := c.pool.entries[0].main.gate.(*redisGate)
	if !ok {
		t.Fatal("the client has no Redis limiter")
	}
	return g.sh
}

func TestRedisKey(t *testing.T) {
	const tok = "vk1.a.secretTokenValue"
	k := redisKey("p:", tok, "")
	if !strings.HasPrefix(k, "p:") || len(k) != len("p:")+32 || strings.Contains(k, tok) {
		t.Fatalf("key %q", k)
	}
	if k != redisKey("p:", tok, "") || k == redisKey("p:", tok+"x", "") {
		t.Fatal("the key is not a function of the token")
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	c := New(tok, WithTokenKind(KindGroup), WithRedisLimiter(rdb))
	e := c.pool.entries[0]
	main, secure := e.main.gate.(*redisGate), e.secure.gate.(*redisGate)
	if main.currentKey() != redisKey(DefaultRedisKeyPrefix, tok, "") || secure.currentKey() != redisKey(DefaultRedisKeyPrefix, tok, ":secure") {
		t.Fatalf("keys %q %q", main.currentKey(), secure.currentKey())
	}
	// The schedule: 20 per 1.05 s, one slot every 52.5 ms, two ahead; the
	// share 6 of 20 and 1 of 5.
	if main.limit.Rate != 20 || main.limit.Period != 1050*time.Millisecond || main.limit.Burst != 3 ||
		main.interval != 52500*time.Microsecond || main.share != 6 || secure.share != 1 || main.tol != 25*time.Millisecond {
		t.Fatalf("gate %+v %v share %d/%d", main.limit, main.interval, main.share, secure.share)
	}
	// Limit.Off and a nil client leave the windows alone.
	if New(tok, WithLimit(Limit{Off: true}), WithRedisLimiter(rdb)).pool.entries[0].main.gate != nil ||
		New(tok, WithRedisLimiter(nil)).pool.entries[0].main.gate != nil {
		t.Fatal("a gate was set")
	}
	// Options.
	c = New(tok, WithTokenKind(KindUser), WithRedisLimiter(rdb, RedisKeyPrefix("x:"), RedisReplicas(2),
		RedisMargin(100*time.Millisecond), RedisLookahead(4)))
	g := c.pool.entries[0].main.gate.(*redisGate)
	if g.limit != (redis_rate.Limit{Rate: 3, Burst: 5, Period: 1100 * time.Millisecond}) || g.share != 1 ||
		!strings.HasPrefix(g.currentKey(), "x:") {
		t.Fatalf("gate %+v share %d key %q", g.limit, g.share, g.currentKey())
	}
	c = New(tok, WithTokenKind(KindGroup), WithRedisLimiter(rdb, RedisFallbackShare(0.5)))
	if g := c.pool.entries[0].main.gate.(*redisGate); g.share != 10 {
		t.Fatalf("share %d", g.share)
	}
}

// TestRedisLimiterTwoClients: two clients in one process, on one token,
// sharing the budget through Redis, against vkmock's strict window.
func TestRedisLimiterTwoClients(t *testing.T) {
	addr := testRedisAddr(t)
	s := vkmock.NewServer(t)
	tok := s.Token(vkmock.TokenGroup).Token
	prefix := testKeyPrefix(t)
	var clients [2]*Client
	for i := range clients {
		clients[i] = New(tok, WithBaseURL(s.URL()), WithTokenKind(KindGroup),
			WithRedisLimiter(testRedisClient(t, addr), RedisKeyPrefix(prefix)))
	}
	d := 2 * time.Second
	var wg sync.WaitGroup
	var res [2]loadResult
	for i, c := range clients {
		wg.Go(func() { res[i] = runLoad(c, 20, d, "users.get", Params{"user_ids": 1}) })
	}
	wg.Wait()
	recs := mockRecords(s, "users.get")
	ok := res[0].ok + res[1].ok
	if n := countCode(recs, vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	for _, r := range res {
		if r.other != 0 {
			t.Errorf("%d failed calls; first: %v", r.other, r.firstErr)
		}
	}
	util := float64(ok) / (20 * d.Seconds())
	t.Logf("2 clients: %d + %d calls in %v: %.1f%% of the budget", res[0].ok, res[1].ok, d, 100*util)
	if util > 1.0 || util < 0.7 {
		t.Errorf("utilisation %.1f%%", 100*util)
	}
	if res[0].ok < ok/4 || res[1].ok < ok/4 {
		t.Errorf("unfair split: %d / %d", res[0].ok, res[1].ok)
	}
	for _, c := range clients {
		if sh := redisSharedOf(t, c); sh.state.Load() != 0 || sh.fallback.Load() != 0 || sh.grants.Load() == 0 {
			t.Errorf("state %d, %d fallback requests, %d grants", sh.state.Load(), sh.fallback.Load(), sh.grants.Load())
		}
	}
}

// TestRedisKeysNeverHoldToken: the token is in no Redis key or value, and
// the key of its budget is the hash the docs promise.
func TestRedisKeysNeverHoldToken(t *testing.T) {
	addr := testRedisAddr(t)
	s := vkmock.NewServer(t)
	tok := s.Token(vkmock.TokenGroup).Token
	prefix := testKeyPrefix(t)
	rdb := testRedisClient(t, addr)
	c := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithRedisLimiter(rdb, RedisKeyPrefix(prefix)))
	for range 5 {
		if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	want := "rate:" + redisKey(prefix, tok, "")
	found, scanned := false, 0
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		scanned++
		found = found || k == want
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
	if !found {
		t.Errorf("no key %q among %d", want, scanned)
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
	s := vkmock.NewServer(t)
	tok := s.Token(vkmock.TokenGroup).Token
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithLogger(log),
		WithRedisLimiter(testRedisClient(t, deadRedisAddr(t)), RedisReplicas(4), RedisProbeInterval(200*time.Millisecond)))
	d := 2 * time.Second
	res := runLoad(c, 10, d, "users.get", Params{"user_ids": 1})
	if res.other != 0 {
		t.Errorf("%d failed calls; first: %v", res.other, res.firstErr)
	}
	if n := countCode(mockRecords(s, "users.get"), vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	// 5 per second after a pause of about a second: 5 to 10 calls in 2 s.
	if res.ok < 4 || res.ok > 11 {
		t.Errorf("%d calls at a share of 5/s in %v", res.ok, d)
	}
	if n := logs.count(logFallback); n != 1 {
		t.Errorf("%d fallback warnings:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), tok) {
		t.Error("the token is in the log")
	}
	if sh := redisSharedOf(t, c); sh.state.Load()&1 != 1 || sh.fallback.Load() != int64(res.ok) {
		t.Errorf("state %d, %d fallback requests for %d calls", sh.state.Load(), sh.fallback.Load(), res.ok)
	}
	t.Logf("%d calls in %v on the fallback share", res.ok, d)
}

// TestRedisLimiterHung: a Redis that accepts connections and never answers
// costs a caller no more than the limiter's timeout, not rdb's.
func TestRedisLimiterHung(t *testing.T) {
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
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, cn := range conns {
			cn.Close()
		}
		mu.Unlock()
	})
	s := vkmock.NewServer(t)
	var logs syncBuffer
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: 10 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithRedisLimiter(rdb, RedisTimeout(100*time.Millisecond)))
	start := time.Now()
	for range 3 {
		if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// One timeout, then the fallback's pause (1.05 s + 2 slots), then the
	// share.
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("3 calls took %v", el)
	}
	if n := logs.count(logFallback); n != 1 || logs.count("no answer from Redis within 100ms") != 1 {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestRedisLimiterContextCancel: a call waiting for its slot in the shared
// schedule ends when its context does, and gives its window slot back.
func TestRedisLimiterContextCancel(t *testing.T) {
	addr := testRedisAddr(t)
	s := vkmock.NewServer(t)
	// 20 requests per 1 s + 119 s: one slot every 6 s, one ahead. The
	// window (20/s) never makes the calls wait; the schedule does.
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup),
		WithRedisLimiter(testRedisClient(t, addr), RedisKeyPrefix(testKeyPrefix(t)),
			RedisMargin(119*time.Second), RedisLookahead(1)))
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the reserved slot, then a wait for a reservation
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	}
	w := c.pool.entries[0].main
	w.mu.Lock()
	inflight, queued := w.inflight, len(w.queue)
	w.mu.Unlock()
	if inflight != 0 || queued != 0 {
		t.Errorf("window: %d in flight, %d queued", inflight, queued)
	}
	if n := len(mockRecords(s, "users.get")); n != 1 {
		t.Errorf("%d requests", n)
	}
}

// TestRedisLimiterIdleProbe: a client that had no traffic while Redis was
// away asks Redis before it sends on its share, and so goes back to it at
// once.
func TestRedisLimiterIdleProbe(t *testing.T) {
	rs := startRedis(t)
	s := vkmock.NewServer(t)
	var logs syncBuffer
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		WithRedisLimiter(testRedisClient(t, rs.addr), RedisKeyPrefix(testKeyPrefix(t)), RedisProbeInterval(100*time.Millisecond)))
	sh := redisSharedOf(t, c)
	rs.kill()
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if sh.fallback.Load() != 1 || sh.grants.Load() != 0 || sh.state.Load() != 1 {
		t.Fatalf("%d fallback requests, %d grants, state %d", sh.fallback.Load(), sh.grants.Load(), sh.state.Load())
	}
	// Idle: the prober stops.
	deadline := time.Now().Add(2 * time.Second)
	for {
		sh.mu.Lock()
		on := sh.proberOn
		sh.mu.Unlock()
		if !on {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the prober runs without traffic")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := rs.start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // rdb's dialer backs off after failures
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if sh.fallback.Load() != 1 || sh.grants.Load() != 1 || sh.state.Load() != 2 {
		t.Errorf("%d fallback requests, %d grants, state %d", sh.fallback.Load(), sh.grants.Load(), sh.state.Load())
	}
	if logs.count(logFallback) != 1 || logs.count(logBack) != 1 {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestRedisLimiterRecovers: in one process, Redis killed and restarted
// under load: the client falls back once, comes back, and every call
// completes.
func TestRedisLimiterRecovers(t *testing.T) {
	rs := startRedis(t)
	s := vkmock.NewServer(t)
	var logs syncBuffer
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		WithRedisLimiter(testRedisClient(t, rs.addr), RedisKeyPrefix(testKeyPrefix(t)), RedisProbeInterval(200*time.Millisecond)))
	sh := redisSharedOf(t, c)
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
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
				err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
				cancel()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	grantsBefore := sh.grants.Load()
	rs.kill()
	// Detection, the pause (1.155 s), then the share.
	time.Sleep(2 * time.Second)
	fallback := sh.fallback.Load()
	if err := rs.restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sh.state.Load()&1 == 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	grantsBack := sh.grants.Load()
	time.Sleep(700 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d failed calls; first: %v", failed.Load(), firstErr.Load())
	}
	if n := countCode(mockRecords(s, "users.get"), vkerr.TooMany); n != 0 {
		t.Errorf("%d errors 6", n)
	}
	if logs.count(logFallback) != 1 || logs.count(logBack) != 1 {
		t.Errorf("log:\n%s", logs.String())
	}
	if grantsBefore == 0 || fallback == 0 || sh.state.Load() != 2 || sh.grants.Load() <= grantsBack {
		t.Errorf("grants before %d, fallback requests %d, state %d, grants after the return %d → %d",
			grantsBefore, fallback, sh.state.Load(), grantsBack, sh.grants.Load())
	}
	t.Logf("%d calls; %d requests on the fallback share", ok.Load(), sh.fallback.Load())
}
