package vkapi

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The window's tests run on synctest's fake clock: exact, and instant.

// TestWindowStrict checks the limiter's promise: with n slots per window,
// request i+n is never sent before one window has passed since request i
// was answered, however many callers compete; and the run is as short as
// that allows.
func TestWindowStrict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, per, callers, each = 3, time.Second, 20, 3
		const rtt = 10 * time.Millisecond
		w := newWindow(n, per)
		type span struct{ sent, done time.Time }
		var mu sync.Mutex
		var spans []span
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				for range each {
					if _, err := w.acquire(context.Background()); err != nil {
						t.Error(err)
						return
					}
					s := span{sent: time.Now()}
					time.Sleep(rtt) // the request in flight
					s.done = time.Now()
					mu.Lock()
					spans = append(spans, s)
					mu.Unlock()
					w.release(true)
				}
			})
		}
		wg.Wait()
		slices.SortFunc(spans, func(a, b span) int { return a.sent.Compare(b.sent) })
		if len(spans) != callers*each {
			t.Fatalf("%d requests", len(spans))
		}
		for i := n; i < len(spans); i++ {
			// Among the requests sent before spans[i], at most n-1 may have
			// been answered less than one window before it.
			recent := 0
			for j := range i {
				if spans[i].sent.Sub(spans[j].done) < per {
					recent++
				}
			}
			if recent >= n {
				t.Fatalf("request %d sent with %d others in its window", i, recent)
			}
		}
		// On the fake clock the run is exactly as long as the rule allows:
		// a slot comes back one window after its answer, n at a time.
		total := spans[len(spans)-1].sent.Sub(spans[0].sent)
		want := time.Duration((callers*each-1)/n) * (per + rtt)
		if total != want {
			t.Errorf("took %v; the rule allows %v", total, want)
		}
	})
}

func TestWindowFIFOAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWindow(1, time.Hour)
		if _, err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := w.acquire(ctx); done <- err }()
		synctest.Wait() // queued
		w.mu.Lock()
		q := len(w.queue)
		w.mu.Unlock()
		if q != 1 {
			t.Fatalf("queue %d", q)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
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
		// Waiters are served in order.
		var order []int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				if _, err := w.acquire(context.Background()); err != nil {
					t.Error(err)
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				w.release(false)
			})
			synctest.Wait() // queued before the next one
		}
		w.release(false)
		wg.Wait()
		if !slices.Equal(order, []int{0, 1, 2}) {
			t.Errorf("served in order %v", order)
		}
	})
}

func TestWindowGrantedWhileCancelledGivesSlotBack(t *testing.T) {
	for i := range 200 {
		w := newWindow(1, time.Millisecond)
		_, _ = w.acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { w.release(false) })
		wg.Go(cancel)
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
	synctest.Test(t, func(t *testing.T) {
		w := newWindow(3, time.Second)
		w.penalize()
		start := time.Now()
		if _, err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("granted %v after an error 6, want one window", d)
		}
		w.release(false)
		w.mu.Lock()
		b := w.budget(time.Now())
		w.mu.Unlock()
		if b != 2 {
			t.Errorf("budget %d after an error 6, want 2", b)
		}
		time.Sleep(10 * time.Second)
		w.mu.Lock()
		b = w.budget(time.Now())
		w.mu.Unlock()
		if b != 3 {
			t.Errorf("budget %d ten windows later, want 3", b)
		}
	})
}

func TestWindowWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWindow(1, time.Hour)
		if _, err := w.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		w.release(true) // the slot is taken for an hour
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		waited, err := w.acquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Minute || waited != time.Minute {
			t.Fatalf("err %v after %v (waited %v)", err, time.Since(start), waited)
		}
	})
}
