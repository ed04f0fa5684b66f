package vkapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeShared is a SharedLimiter that records what the client gives it.
type fakeShared struct {
	mu      sync.Mutex
	budgets []SharedBudget
	gates   []*fakeGate
	closed  int
}

func (f *fakeShared) Gate(b SharedBudget) SharedGate {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := &fakeGate{}
	f.budgets = append(f.budgets, b)
	f.gates = append(f.gates, g)
	return g
}

func (f *fakeShared) Close() error {
	f.mu.Lock()
	f.closed++
	f.mu.Unlock()
	return nil
}

// fakeGate answers Pass with its errors in turn, then nil.
type fakeGate struct {
	mu     sync.Mutex
	errs   []error
	passes int
	ticket uint64
}

func (g *fakeGate) Ticket() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ticket++
	return g.ticket
}

func (g *fakeGate) Pass(ctx context.Context, tk uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.passes++
	if len(g.errs) > 0 {
		err := g.errs[0]
		g.errs = g.errs[1:]
		return err
	}
	return ctx.Err()
}

func TestSharedLimiterBudgets(t *testing.T) {
	const tok1, tok2 = "tokenOneSecret", "tokenTwoSecret"
	f := &fakeShared{}
	c := New(tok1, WithTokens(tok2), WithTokenKind(KindGroup), WithSharedLimiter(f))
	if len(f.budgets) != 4 {
		t.Fatalf("%d budgets, want 2 per token", len(f.budgets))
	}
	id := func(tok string) string {
		sum := sha256.Sum256([]byte(tok))
		return hex.EncodeToString(sum[:])[:32]
	}
	want := []struct {
		id string
		n  int
	}{{id(tok1), 20}, {id(tok1) + ":secure", 5}, {id(tok2), 20}, {id(tok2) + ":secure", 5}}
	for i, b := range f.budgets {
		if got := b.ID(); got != want[i].id || b.N != want[i].n || b.Per != time.Second || b.Cap == nil || b.Logger == nil {
			t.Errorf("budget %d: %q %d per %v", i, got, b.N, b.Per)
		}
		if strings.Contains(b.ID(), tok1) || strings.Contains(b.ID(), tok2) {
			t.Errorf("budget %d names the token", i)
		}
	}
	// A renewed token has a budget of its own.
	c.pool.mu.Lock()
	c.pool.entries[0].token = "renewedToken"
	c.pool.mu.Unlock()
	if f.budgets[0].ID() != id("renewedToken") {
		t.Error("the budget's ID did not follow the token")
	}
	// Close closes the limiter, once.
	c.closers.run()
	c.closers.run()
	if f.closed != 1 {
		t.Errorf("limiter closed %d times", f.closed)
	}

	// With the limiter off, no gate, and Close still closes it.
	off := &fakeShared{}
	c = New(tok1, WithLimit(Limit{Off: true}), WithSharedLimiter(off))
	c.closers.run()
	if len(off.gates) != 0 || off.closed != 1 {
		t.Errorf("limiter off: %d gates, closed %d times", len(off.gates), off.closed)
	}
	// No shared limiter: no gate.
	if New(tok1, WithSharedLimiter(nil)).pool.entries[0].main.gate != nil {
		t.Error("a gate without a shared limiter")
	}
}

// TestSharedGateRetrySlot: ErrRetrySlot gives the window's slot back and
// takes one again; another error gives it back and ends the wait; Cap caps
// the window and pauses it.
func TestSharedGateRetrySlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeShared{}
		c := New("tok", WithTokenKind(KindUser), WithSharedLimiter(f))
		w, g := c.pool.entries[0].main, f.gates[0]
		g.errs = []error{ErrRetrySlot, ErrRetrySlot}
		if _, err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		if g.passes != 3 || g.ticket != 3 {
			t.Errorf("%d passes, %d tickets", g.passes, g.ticket)
		}
		w.release(false)
		stop := context.Canceled
		g.errs = []error{stop}
		if _, err := w.acquire(context.Background()); err != stop {
			t.Errorf("err %v", err)
		}
		w.mu.Lock()
		in := w.inflight
		w.mu.Unlock()
		if in != 0 {
			t.Errorf("%d slots held after a failed pass", in)
		}
		if w.tryAcquire() {
			t.Error("tryAcquire took a slot without the shared gate")
		}
		// Cap: one slot per window, none for a second.
		start := time.Now()
		f.budgets[0].Cap(1, start.Add(time.Second))
		if _, err := w.acquire(context.Background()); err != nil || time.Since(start) != time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		w.release(true)
		if _, err := w.acquire(context.Background()); err != nil || time.Since(start) != 2*time.Second {
			t.Fatalf("err %v after %v: the cap did not hold", err, time.Since(start))
		}
		w.release(false)
		f.budgets[0].Cap(0, time.Time{})
		w.mu.Lock()
		b := w.budget(time.Now())
		w.mu.Unlock()
		if b != 3 {
			t.Errorf("budget %d after the cap was lifted", b)
		}
	})
}
