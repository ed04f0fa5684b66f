package vkapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// BatchOptions configure automatic batching (WithBatching). Zero fields take
// their defaults.
type BatchOptions struct {
	// Window is how long a batch collects calls after its first one before
	// it is sent, unless it fills up first. Default 5 ms.
	Window time.Duration
	// MaxCalls is the most calls per execute request, at most 25 (the
	// default).
	MaxCalls int
	// MaxRetries bounds how often a call whose inner result was a retryable
	// error (1, 10), or whose batch lost its answer (see WithBatching), is
	// sent again in a later batch. Default 3. Resends after an inner error 6
	// do not count, as for a direct call (RetryPolicy.MaxAttempts): the
	// call's MaxElapsed and its context bound them.
	MaxRetries int
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.Window <= 0 {
		o.Window = 5 * time.Millisecond
	}
	if o.MaxCalls <= 0 || o.MaxCalls > MaxBatchCalls {
		o.MaxCalls = MaxBatchCalls
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	return o
}

// WithBatching coalesces concurrent Calls into execute requests, so that
// callers change nothing and one request carries up to 25 calls: the
// documented answer to errors 6 and 9. A batch is sent when it holds
// MaxCalls calls or Window after its first call, whichever comes first.
//
// Each call still gets its own result and its own error, as if it had been
// sent alone: inner errors come back as *vkerr.Error (with Method set) in a
// *CallError. A call whose inner result is a retryable error (1, 10, 6) is
// sent again in a later batch, with the same idempotency key; an inner 14,
// 17 or 24 is sent again alone when a hook for it is set, so that the hook
// can answer it. An error of the whole execute request (5, 6, 14, ...) is
// handled once for the batch by the usual remedies, and if it persists every
// call of the batch gets it; except that when a transient failure (a lost
// answer: 5xx, reset, truncated body) was not retried only because the batch
// held a write without an idempotency key, that write gets the error and the
// other calls go again in a later batch. A call whose context ends returns
// at once, and its out is left alone from then on, even when the batch that
// carried it is answered later.
//
// While every token's rate limiter is busy, a batch whose window has ended
// stays open, for at most one window of the rate limit (Limit.Per), so that
// the calls arriving meanwhile join it rather than start a batch of their
// own: under load every request of the budget carries up to 25 calls.
//
// Never batched: execute itself and stored procedures (execute.NAME), the
// upload *.save methods, methods the schema does not list, and methods some
// token of the pool may not call inside execute. Those go out alone.
//
// Close fails the calls of the open batch with ErrClosed and cancels the
// batches under way.
func WithBatching(o BatchOptions) Option {
	return func(c *config) { c.batching = &o }
}

// batcher coalesces concurrent Calls into execute requests (WithBatching).
// Its batches go out on goroutines of the client's lifecycle, which Close
// cancels and waits for.
type batcher struct {
	c      *Client
	opts   BatchOptions
	mu     sync.Mutex
	queue  []*batchItem
	timer  *time.Timer
	closed bool
}

func newBatcher(c *Client, opts BatchOptions) *batcher {
	return &batcher{c: c, opts: opts}
}

// call sends an item in a batch and waits for its result or ctx. When ctx
// ends first the item is abandoned: its batch no longer writes to its out.
func (b *batcher) call(it *batchItem) error {
	b.submit(it)
	select {
	case <-it.done:
	case <-it.ctx.Done():
		if it.abandon() {
			return &CallError{Method: it.method, Attempts: int(it.sends.Load()), Err: context.Cause(it.ctx), redact: b.c.pool.redact}
		}
		<-it.done // finished meanwhile: its result stands
	}
	return it.err
}

// submit queues items; a full batch leaves at once, a partial one when its
// window ends. After close it fails them with ErrClosed.
func (b *batcher) submit(items ...*batchItem) {
	now := time.Now()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		for _, it := range items {
			b.c.deliver(it, ErrClosed)
		}
		return
	}
	for _, it := range items {
		it.queued = now
	}
	b.queue = append(b.queue, items...)
	var full [][]*batchItem
	for len(b.queue) >= b.opts.MaxCalls {
		full = append(full, b.queue[:b.opts.MaxCalls:b.opts.MaxCalls])
		b.queue = b.queue[b.opts.MaxCalls:]
	}
	if len(b.queue) > 0 && b.timer == nil {
		b.timer = time.AfterFunc(b.opts.Window, b.flush)
	}
	b.mu.Unlock()
	for _, batch := range full {
		b.goSend(batch)
	}
}

// goSend sends batch on a goroutine of the client, or fails it after
// Close.
func (b *batcher) goSend(batch []*batchItem) {
	if !b.c.life.spawn(func() { b.send(batch) }) {
		for _, it := range batch {
			b.c.deliver(it, ErrClosed)
		}
	}
}

// close fails the calls of the open batch with ErrClosed and stops its
// timer; later submissions fail too.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	queue := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, it := range queue {
		b.c.deliver(it, ErrClosed)
	}
}

// flush sends what the queue holds when the window ends, unless no token
// could send it now: it would then only wait for the rate limiter with the
// calls it holds, while the calls arriving meanwhile started batches of
// their own, each to take a request of the budget. So while the limiter is
// busy the batch stays open (and leaves as soon as it is full), and flush
// looks again one window later; but not for longer than one window of the
// rate limit, so that requests sent alone, queued at the limiter, cannot
// keep it waiting for ever.
func (b *batcher) flush() {
	if !b.c.life.enter() {
		return // closed: close failed the queue
	}
	defer b.c.life.wg.Done()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	if len(b.queue) > 0 && time.Since(b.queue[0].queued) < b.c.limit.Per && !b.c.pool.readyForBatch() {
		b.timer = time.AfterFunc(b.opts.Window, b.flush)
		b.mu.Unlock()
		return
	}
	batch := b.queue
	b.queue, b.timer = nil, nil
	b.mu.Unlock()
	if len(batch) > 0 {
		b.send(batch)
	}
}

// readyForBatch reports whether an execute request could have a slot of a
// live token's rate limiter now, without waiting behind other requests.
// With the limiter off it is always true.
func (p *pool) readyForBatch() bool {
	if p.limit.Off {
		return true
	}
	var stack [8]*window
	wins := stack[:0]
	p.mu.Lock()
	for _, e := range p.entries {
		if !e.dead {
			wins = append(wins, e.main)
		}
	}
	p.mu.Unlock()
	if len(wins) == 0 {
		return true // let the request fail with ErrNoTokens
	}
	now := time.Now()
	for _, w := range wins {
		w.mu.Lock()
		w.prune(now)
		ready := len(w.queue) == 0 && w.free(now)
		w.mu.Unlock()
		if ready {
			return true
		}
	}
	return false
}

// send makes one execute request of the live items of batch, on a
// goroutine of the client's lifecycle. Its context ends when every caller
// of the batch has given up, or on Close.
func (b *batcher) send(batch []*batchItem) {
	live := batch[:0:0]
	for _, it := range batch {
		if it.ctx.Err() == nil {
			live = append(live, it)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(b.c.life.ctx)
	defer cancel()
	var alive atomic.Int32
	alive.Store(int32(len(live)))
	for _, it := range live {
		stop := context.AfterFunc(it.ctx, func() {
			if alive.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	again, alone := b.c.execute(ctx, live)
	for _, it := range alone {
		b.goAlone(it)
	}
	// Keyed writes among them are pinned to the token of this execute: the
	// items go again together, on that token, rather than rejoin the queue.
	for _, it := range again {
		if it.pin != nil {
			b.goSend(again)
			return
		}
	}
	if len(again) > 0 {
		b.submit(again...)
	}
}

// goAlone sends an item alone on a goroutine of the client; its context
// ends with its caller's, or on Close.
func (b *batcher) goAlone(it *batchItem) {
	ok := b.c.life.spawn(func() {
		ctx, cancel := context.WithCancel(it.ctx)
		defer cancel()
		defer context.AfterFunc(b.c.life.ctx, cancel)()
		b.c.callAlone(ctx, it)
	})
	if !ok {
		b.c.deliver(it, ErrClosed)
	}
}
