package deliverytest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// transport is one event transport under the contract: send makes events
// numbered 0..n-1 at the source (the mock), start runs a client whose
// handler is h and returns a function that stops it the way a process that
// dies does (its context cancelled, no graceful wait beyond that). Clients
// started one after the other share their record (a store, a
// de-duplication).
type transport struct {
	name  string
	setup func(t *testing.T) (send func(t *testing.T, from, n int), start func(t *testing.T, h handlerFunc) (stop func()))
}

type handlerFunc func(ctx context.Context, seq int) error

var transports = []transport{
	{"bots long poll", botsLongPoll},
	{"user long poll", userLongPoll},
	{"callback", callbackAPI},
}

// TestDeliveryContract: for each transport, a client handles events until
// the one numbered inFlight; from it on, its handlers block until the
// client dies (its context ends) and then fail. A second client then
// starts from the first's record (store, de-duplication). Every event is
// handled to the end exactly once: what the first client left unfinished
// is handed again, and nothing it finished is.
func TestDeliveryContract(t *testing.T) {
	const total, inFlight = 20, 9
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			send, start := tr.setup(t)
			done := newRecord() // events whose handler returned nil
			reached := make(chan struct{})
			var once sync.Once
			var mu sync.Mutex
			cut := map[int]bool{} // handlers running when the client died
			stopA := start(t, func(ctx context.Context, seq int) error {
				if seq < inFlight {
					done.add(seq)
					return nil
				}
				mu.Lock()
				cut[seq] = true
				mu.Unlock()
				once.Do(func() { close(reached) })
				<-ctx.Done() // the process dies with this handler running
				return ctx.Err()
			})
			send(t, 0, total)
			wait(t, reached, "a handler in flight")
			stopA()
			stopB := start(t, func(_ context.Context, seq int) error {
				done.add(seq)
				return nil
			})
			defer stopB()
			wait(t, done.until(total), "every event handled to the end")
			mu.Lock()
			defer mu.Unlock()
			for seq, n := range done.counts() {
				if n != 1 {
					t.Errorf("event %d handled to the end %d times, want once (cut short at the crash: %v)", seq, n, cut)
				}
			}
		})
	}
}

// record counts the events handed to handlers, by number.
type record struct {
	mu    sync.Mutex
	n     map[int]int
	waits []recordWait
}

type recordWait struct {
	total int
	ch    chan struct{}
}

func newRecord() *record { return &record{n: map[int]int{}} }

func (r *record) add(seq int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[seq]++
	r.notifyLocked()
}

// until returns a channel closed once events 0..total-1 were all handed.
func (r *record) until(total int) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := recordWait{total: total, ch: make(chan struct{})}
	r.waits = append(r.waits, w)
	r.notifyLocked()
	return w.ch
}

func (r *record) notifyLocked() {
	kept := r.waits[:0]
	for _, w := range r.waits {
		all := true
		for i := range w.total {
			if r.n[i] == 0 {
				all = false
				break
			}
		}
		if all {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	r.waits = kept
}

func (r *record) counts() map[int]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int]int, len(r.n))
	for k, v := range r.n {
		out[k] = v
	}
	return out
}

// wait waits for ch, or fails the test after a bound generous for a loaded
// machine (the events flow in milliseconds).
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// seqOf reads the number of an event from its text "m<seq>".
func seqOf(text string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(text, "m"))
	if err != nil || !strings.HasPrefix(text, "m") {
		return 0, fmt.Errorf("not an event of the test: %q", text)
	}
	return n, nil
}

// stopper runs a client's Run on ctx and returns the function that
// cancels it and waits for Run to return.
func stopper(t *testing.T, run func(ctx context.Context) error, after func()) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Run: %v", err)
			}
			if after != nil {
				after()
			}
		})
	}
}
