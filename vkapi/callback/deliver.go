package callback

import (
	"context"
	"net/http"
	"sync"

	"github.com/vkerr/vkerr/vkevent"
)

// handleNow is the default mode (at least once): the event is handed to
// the handler while VK waits, and "ok" answered only when the handler
// returned nil within HandlerTimeout. Otherwise the answer is 503, so VK
// sends the event again: the claim is released as soon as the handler
// returns without success, and made final when it returns nil, even late.
func (r *Receiver) handleNow(w http.ResponseWriter, req *http.Request, e *vkevent.Event) {
	ctx, cancel := context.WithTimeout(r.hctx, r.cfg.HandlerTimeout)
	if r.isStopping() {
		cancel()
		r.settle(e, false)
		r.tooBusy(w, "receiver closing", e, nil)
		return
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		cancel()
		r.settle(e, false)
		r.tooBusy(w, "no worker free within the handler timeout", e, nil)
		return
	case <-r.stopping:
		cancel()
		r.settle(e, false)
		r.tooBusy(w, "receiver closing", e, nil)
		return
	case <-req.Context().Done(): // the sender gave up: it resends
		cancel()
		r.settle(e, false)
		r.tooBusy(w, "the sender gave up waiting", e, nil)
		return
	}
	r.accepted.Add(1)
	done := make(chan error, 1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		err := r.call(ctx, e)
		<-r.slots
		r.report(e, err)
		r.settle(e, err == nil) // before the answer: a resend after "ok" finds the claim final
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done: // returned at the same moment
		default:
			r.tooBusy(w, "the handler did not return within the handler timeout", e, nil)
			return
		}
	}
	if err != nil {
		r.tooBusy(w, "the handler failed", e, err)
		return
	}
	answer(w, OK)
}

// isStopping reports whether Shutdown has begun: a request that got this
// far takes no event from then on.
func (r *Receiver) isStopping() bool {
	select {
	case <-r.stopping:
		return true
	default:
		return false
	}
}

// queued is an event acknowledged in AtMostOnce mode, with the bytes it
// holds of the queue.
type queued struct {
	e    *vkevent.Event
	size int64
}

// queuedOverhead is counted per queued event on top of its body.
const queuedOverhead = 256

// enqueue is the AtMostOnce mode: the event is queued and acknowledged at
// once; a worker handles it afterwards.
func (r *Receiver) enqueue(w http.ResponseWriter, req *http.Request, e *vkevent.Event, bodyLen int) {
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.QueueWait)
	defer cancel()
	q := &queued{e: e, size: int64(bodyLen) + queuedOverhead}
	if r.isStopping() || !r.qbytes.acquire(ctx, r.stopping, q.size) {
		r.settle(e, false)
		r.tooBusy(w, "queue full (bytes)", e, nil)
		return
	}
	select {
	case r.queue <- q:
		r.accepted.Add(1)
		r.settle(e, true) // queued: at most once, a resend is a duplicate
		answer(w, OK)
		return
	case <-ctx.Done():
	case <-r.stopping:
	}
	r.qbytes.release(q.size)
	r.settle(e, false)
	r.tooBusy(w, "queue full", e, nil)
}

// work hands queued events to the handler until the queue is closed; once
// Shutdown gave up, the rest are dropped.
func (r *Receiver) work() {
	defer r.wg.Done()
	for q := range r.queue {
		if r.hctx.Err() == nil {
			r.report(q.e, r.call(r.hctx, q.e))
		} else {
			r.abandoned.Add(1)
		}
		r.qbytes.release(q.size)
	}
}

// byteBudget bounds the bytes of the queue.
type byteBudget struct {
	mu    sync.Mutex
	free  int64
	freed chan struct{} // closed and replaced on every release
}

func newByteBudget(n int64) *byteBudget { return &byteBudget{free: n, freed: make(chan struct{})} }

// acquire takes n bytes, waiting for them until ctx ends or stop is
// closed (false).
func (b *byteBudget) acquire(ctx context.Context, stop <-chan struct{}, n int64) bool {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return true
		}
		ch := b.freed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
	}
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += n
	close(b.freed)
	b.freed = make(chan struct{})
}
