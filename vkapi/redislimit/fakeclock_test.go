package redislimit

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/vkapi"
)

// The limiter's logic on synctest's fake clock, with memStore in place of
// Redis: exact, and instant. The tests against a real Redis are in
// limiter_test.go and process_test.go.

// memStore is redis_rate's GCRA script (lua.go of redis_rate v10) in
// memory, on the local clock, with switches for an outage.
type memStore struct {
	mu    sync.Mutex
	tat   map[string]time.Time
	down  error // every call fails with it
	hang  bool  // every call waits for its context
	calls int
	// delays, when set, is how long the calls take, drawn at random (from
	// a fixed seed): the scheduler's and network's delays.
	delays []time.Duration
	rnd    *rand.Rand
}

func newMemStore() *memStore { return &memStore{tat: map[string]time.Time{}} }

func (m *memStore) set(down error, hang bool) {
	m.mu.Lock()
	m.down, m.hang = down, hang
	m.mu.Unlock()
}

func (m *memStore) AllowN(ctx context.Context, key string, lim redis_rate.Limit, cost int) (*redis_rate.Result, error) {
	m.mu.Lock()
	m.calls++
	if len(m.delays) > 0 {
		// The answer takes this long to come back.
		defer time.Sleep(m.delays[m.rnd.IntN(len(m.delays))])
	}
	if m.hang {
		m.mu.Unlock()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if m.down != nil {
		err := m.down
		m.mu.Unlock()
		return nil, err
	}
	defer m.mu.Unlock()
	now := time.Now()
	interval := lim.Period / time.Duration(lim.Rate)
	tat := now
	if t, ok := m.tat[key]; ok && t.After(now) {
		tat = t
	}
	newTAT := tat.Add(time.Duration(cost) * interval)
	diff := now.Sub(newTAT.Add(-time.Duration(lim.Burst) * interval))
	if diff < 0 {
		return &redis_rate.Result{Limit: lim, RetryAfter: -diff, ResetAfter: tat.Sub(now)}, nil
	}
	m.tat[key] = newTAT
	return &redis_rate.Result{Limit: lim, Allowed: cost, Remaining: int(diff / interval), RetryAfter: -1, ResetAfter: newTAT.Sub(now)}, nil
}

// capRecord records a budget's Cap calls.
type capRecord struct {
	mu    sync.Mutex
	share int
	until time.Time
	calls int
}

func (c *capRecord) cap(n int, at time.Time) {
	c.mu.Lock()
	c.share, c.until = n, at
	c.calls++
	c.mu.Unlock()
}

func (c *capRecord) get() (int, time.Time, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.share, c.until, c.calls
}

// fakeProcess is a limiter of one process on st, with the gate of one
// community token's budget.
func fakeProcess(t *testing.T, st store, log *slog.Logger, opts ...Option) (*Limiter, vkapi.SharedGate, *capRecord) {
	l := newLimiter(st, opts...)
	t.Cleanup(func() { _ = l.Close() })
	cr := &capRecord{}
	g := l.Gate(vkapi.SharedBudget{ID: func() string { return "token" }, N: 20, Per: time.Second, Cap: cr.cap, Logger: log})
	return l, g, cr
}

// pass is what the client's window does around a gate: a ticket, then
// Pass, again as long as it says ErrRetrySlot.
func pass(ctx context.Context, g vkapi.SharedGate) error {
	for {
		err := g.Pass(ctx, g.Ticket())
		if !errors.Is(err, vkapi.ErrRetrySlot) {
			return err
		}
	}
}

// runCallers runs three processes of st with ten callers each until ctx
// ends and returns when each request left, in order, and the limiters.
func runCallers(ctx context.Context, t *testing.T, st *memStore) (sent []time.Time, lims []*Limiter) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 3 {
		l, g, _ := fakeProcess(t, st, nil)
		lims = append(lims, l)
		for range 10 {
			wg.Go(func() {
				for pass(ctx, g) == nil {
					mu.Lock()
					sent = append(sent, time.Now())
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(sent, time.Time.Compare)
	return sent, lims
}

// TestScheduleFakeClock: three processes with ten callers each for 10 s:
// requests leave exactly one interval apart, never 21 within a window, at
// the ceiling of the default margin, with no slot wasted.
func TestScheduleFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		const d = 10 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		sent, lims := runCallers(ctx, t, st)
		interval := (time.Second + time.Second/DefaultMarginDivisor) / (20 * slotUnits) * slotUnits
		for i := 1; i < len(sent); i++ {
			if gap := sent[i].Sub(sent[i-1]); gap != interval {
				t.Fatalf("requests %d and %d %v apart, want %v", i-1, i, gap, interval)
			}
		}
		for i := 20; i < len(sent); i++ {
			if sent[i].Sub(sent[i-20]) < time.Second {
				t.Fatalf("21 requests within %v", sent[i].Sub(sent[i-20]))
			}
		}
		if want := int(d/interval) + 1; len(sent) != want || !sent[0].Equal(start) {
			t.Errorf("%d requests from %v, want %d from the start", len(sent), sent[0].Sub(start), want)
		}
		var wasted int64
		for _, l := range lims {
			wasted += l.Stats().Wasted
		}
		// The callers that gave up at the end each leave a reserved slot.
		if wasted > 3*(DefaultLookahead+1) {
			t.Errorf("%d slots wasted", wasted)
		}
		t.Logf("%d requests in %v: %.1f%% of the budget", len(sent), d, 100*float64(len(sent))/20/d.Seconds())
	})
}

// TestLateRequestsPushTheScheduleFakeClock: Redis answers that take up to
// 40 ms to come back make requests later than the tolerance after their
// slot: they go anyway and push the shared schedule back by the excess, so
// that no 21 requests leave within a window (without the push: 987 ms), and
// no slot is lost to it (giving them up, as before, lost a quarter of the
// budget).
func TestLateRequestsPushTheScheduleFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		ms := time.Millisecond
		st.delays = []time.Duration{0, 2 * ms, 0, 30 * ms, 1 * ms, 0, 15 * ms, 0, 40 * ms, 5 * ms, 0, 13 * ms}
		st.rnd = rand.New(rand.NewPCG(1, 2))
		const d = 10 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		sent, lims := runCallers(ctx, t, st)
		margin, tol := config{}.marginFor(time.Second)
		for i := 20; i < len(sent); i++ {
			if span := sent[i].Sub(sent[i-20]); span < time.Second+margin-tol {
				t.Fatalf("21 requests within %v", span)
			}
		}
		var late, wasted int64
		for _, l := range lims {
			late += l.Stats().Late
			wasted += l.Stats().Wasted
		}
		util := float64(len(sent)) / 20 / d.Seconds()
		t.Logf("%d requests (%.1f%% of the budget), %d late, %d slots wasted", len(sent), 100*util, late, wasted)
		if late == 0 || util < 0.85 {
			t.Errorf("%d late; %.1f%% of the budget", late, 100*util)
		}
	})
}

// TestFallbackAndIdleProbeFakeClock: Redis goes away: the client's window
// is capped at its share and paused, one warning; with no traffic the
// prober stops; the next call asks Redis first, and the return is logged
// before that call goes on (once flaky: the log came after).
func TestFallbackAndIdleProbeFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		var logs syncbuf.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		l, g, cr := fakeProcess(t, st, log, ProbeInterval(100*time.Millisecond))
		ctx := context.Background()
		if err := pass(ctx, g); err != nil {
			t.Fatal(err)
		}
		st.set(errors.New("connection refused"), false)
		start := time.Now()
		if err := pass(ctx, g); err != nil {
			t.Fatal(err)
		}
		share, until, _ := cr.get()
		// 6 of 20; paused for a window, the margin and two slots ahead.
		if s := l.Stats(); share != 6 || until.Sub(start) != time.Second+time.Second/DefaultMarginDivisor+2*l.gates[0].interval || !s.Away || s.Fallback != 1 || s.Grants != 1 {
			t.Fatalf("share %d until +%v, stats %+v", share, until.Sub(start), s)
		}
		if logs.Count(logFallback) != 1 || logs.Count(logBack) != 0 {
			t.Fatalf("log:\n%s", logs.String())
		}
		// Traffic keeps the prober going; the store still fails it.
		for range 3 {
			time.Sleep(100 * time.Millisecond)
			if err := pass(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		// Idle for two intervals: the prober stops.
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		l.mu.Lock()
		on := l.proberOn
		l.mu.Unlock()
		if on {
			t.Fatal("the prober runs without traffic")
		}
		calls := st.calls
		st.set(nil, false)
		time.Sleep(time.Minute)
		synctest.Wait()
		if st.calls != calls {
			t.Fatal("Redis asked while idle")
		}
		// The next call waits for the probe, which finds Redis back.
		if err := pass(ctx, g); err != nil {
			t.Fatal(err)
		}
		if s := l.Stats(); s.Away || s.Fallback != 4 || s.Grants != 2 {
			t.Errorf("stats %+v", s)
		}
		if logs.Count(logFallback) != 1 || logs.Count(logBack) != 1 {
			t.Errorf("log:\n%s", logs.String())
		}
		// Capped for the grace period, then uncapped by the next call.
		time.Sleep(l.grace)
		if err := pass(ctx, g); err != nil {
			t.Fatal(err)
		}
		if share, _, calls := cr.get(); share != 0 || calls != 2 {
			t.Errorf("cap %d after the grace period (%d calls of Cap)", share, calls)
		}
	})
}

// TestPassHonoursContextFakeClock: a call waiting for a slot far ahead
// ends exactly when its context does.
func TestPassHonoursContextFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		// 20 per 1 s + 119 s: one slot every 6 s, one ahead.
		l, g, _ := fakeProcess(t, st, nil, Margin(119*time.Second), Lookahead(1))
		for range 2 { // the slot now, the next one reserved for 6 s ahead
			if err := pass(context.Background(), g); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			start := time.Now()
			err := pass(ctx, g)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
				t.Fatalf("err %v after %v", err, time.Since(start))
			}
		}
		if s := l.Stats(); s.Wasted != 2 {
			t.Errorf("stats %+v", s)
		}
	})
}

// TestCloseStopsGoroutines: Close ends the waiting calls (ErrClosed), the
// prober and the reserver blocked on a hung Redis, and waits for them: no
// goroutine of the limiter survives it.
func TestCloseStopsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tc := range []struct {
		name      string
		down      error
		hang      bool
		wantError error
	}{
		{"hung Redis", nil, true, ErrClosed},
		{"Redis away", errors.New("refused"), false, nil},
		{"Redis up", nil, false, ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			st.set(tc.down, tc.hang)
			l := newLimiter(st, ProbeInterval(time.Hour), Timeout(time.Hour), Margin(time.Hour))
			g := l.Gate(vkapi.SharedBudget{N: 1, Per: time.Second})
			if tc.down != nil || !tc.hang {
				_ = pass(context.Background(), g) // away: falls back; up: takes the one slot
			}
			errs := make(chan error, 5)
			for range 5 {
				go func() { errs <- pass(context.Background(), g) }()
			}
			if tc.wantError == nil {
				for range 5 {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.wantError != nil {
				for range 5 {
					if err := <-errs; !errors.Is(err, tc.wantError) {
						t.Fatalf("err %v", err)
					}
				}
			}
			if err := pass(context.Background(), g); !errors.Is(err, ErrClosed) {
				t.Errorf("a pass after Close: %v", err)
			}
			_ = l.Close() // twice is fine
		})
	}
}
