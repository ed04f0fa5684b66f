package vkapi

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestWindowStrict checks the limiter's promise: with n slots per window,
// request i+n is never sent before one window has passed since request i
// was answered, however many callers compete.
func TestWindowStrict(t *testing.T) {
	const n, per, callers, each = 3, 60 * time.Millisecond, 20, 3
	w := newWindow(n, per)
	type span struct{ sent, done time.Time }
	var mu sync.Mutex
	var spans []span
	var wg sync.WaitGroup
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := w.acquire(context.Background()); err != nil {
					t.Error(err)
					return
				}
				s := span{sent: time.Now()}
				time.Sleep(time.Millisecond) // the request in flight
				mu.Lock()
				s.done = time.Now()
				spans = append(spans, s)
				mu.Unlock()
				w.release(true)
			}
		}()
	}
	wg.Wait()
	sort.Slice(spans, func(i, j int) bool { return spans[i].sent.Before(spans[j].sent) })
	if len(spans) != callers*each {
		t.Fatalf("%d requests", len(spans))
	}
	for i := n; i < len(spans); i++ {
		// Among the requests sent before spans[i], at most n-1 may have
		// been answered less than one window before it.
		recent := 0
		for j := 0; j < i; j++ {
			if spans[i].sent.Sub(spans[j].done) < per {
				recent++
			}
		}
		if recent >= n {
			t.Fatalf("request %d sent with %d others in its window", i, recent)
		}
	}
	// Utilisation: the run cannot be much longer than the budget allows.
	total := spans[len(spans)-1].sent.Sub(spans[0].sent)
	ideal := time.Duration((callers*each-1)/n) * per
	if total > ideal*13/10+50*time.Millisecond {
		t.Errorf("took %v; the budget allows %v", total, ideal)
	}
}

func TestWindowFIFOAndCancel(t *testing.T) {
	w := newWindow(1, time.Hour)
	if _, err := w.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := w.acquire(ctx); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("acquire ignored its context")
	}
	w.mu.Lock()
	q, in := len(w.queue), w.inflight
	w.mu.Unlock()
	if q != 0 || in != 1 {
		t.Fatalf("queue %d inflight %d after a cancelled wait", q, in)
	}
	// An unsent release frees the slot at once.
	w.release(false)
	if !w.tryAcquire() {
		t.Fatal("slot not given back")
	}
}

func TestWindowGrantedWhileCancelledGivesSlotBack(t *testing.T) {
	for i := 0; i < 200; i++ {
		w := newWindow(1, time.Millisecond)
		_, _ = w.acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); w.release(false) }()
		go func() { defer wg.Done(); cancel() }()
		if _, err := w.acquire(ctx); err == nil {
			w.release(false)
		}
		wg.Wait()
		w.mu.Lock()
		in := w.inflight
		w.mu.Unlock()
		if in != 0 {
			t.Fatalf("iteration %d: %d slots leaked", i, in)
		}
	}
}

func TestWindowPenalize(t *testing.T) {
	w := newWindow(3, 50*time.Millisecond)
	w.penalize()
	start := time.Now()
	if _, err := w.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 45*time.Millisecond {
		t.Errorf("granted %v after an error 6", d)
	}
	w.release(false)
	w.mu.Lock()
	b := w.budget(time.Now())
	w.mu.Unlock()
	if b != 2 {
		t.Errorf("budget %d after an error 6, want 2", b)
	}
}
