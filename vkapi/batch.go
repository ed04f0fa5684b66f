package vkapi

import (
	"context"
	"errors"
	"sync"
)

// Batch collects calls to send together as execute requests of at most 25
// calls each. Make one with Client.Batch, Add calls, then Do. A Batch is
// not safe for concurrent use.
type Batch struct {
	c     *Client
	calls []*BatchCall
}

// BatchCall is one call of a Batch. After Batch.Do, Err is its error (a
// *CallError, or nil) and its out argument holds its response.
type BatchCall struct {
	Method string
	Err    error

	params Params
	out    any
}

// Batch returns an empty batch of calls.
func (c *Client) Batch() *Batch { return &Batch{c: c} }

// Add adds a call; its response will be decoded into out (nil discards it).
func (b *Batch) Add(method string, params Params, out any) *BatchCall {
	bc := &BatchCall{Method: method, params: params, out: out}
	b.calls = append(b.calls, bc)
	return bc
}

// Len returns the number of calls added.
func (b *Batch) Len() int { return len(b.calls) }

// Do sends the calls: those that can go inside execute in requests of at
// most 25, in the order added, the rest alone. It returns when every call
// has its result, or ctx is done, and in either case only once every
// request it started is over: after Do, nothing writes to the calls' out
// any more. Its error joins the errors of the calls that failed (errors.Is
// and errors.As see each); every BatchCall also has its own Err.
func (b *Batch) Do(ctx context.Context) error {
	c := b.c
	if !c.life.closed.Load() && !c.pool.kindsKnown.Load() {
		if err := c.detectKinds(ctx); err != nil {
			var errs []error
			for _, bc := range b.calls {
				bc.Err = &CallError{Method: bc.Method, Err: err, redact: c.pool.redact}
				errs = append(errs, bc.Err)
			}
			return errors.Join(errs...)
		}
	}
	var items []*batchItem
	var owners []*BatchCall
	var wg sync.WaitGroup
	for _, bc := range b.calls {
		if !validMethodName(bc.Method) || !c.pool.batchable(bc.Method) || c.life.closed.Load() {
			wg.Go(func() { bc.Err = c.Call(ctx, bc.Method, bc.params, bc.out) })
			continue
		}
		it, err := newBatchItem(ctx, bc.Method, bc.params, bc.out)
		if err != nil {
			bc.Err = &CallError{Method: bc.Method, Err: err, redact: c.pool.redact}
			continue
		}
		items = append(items, it)
		owners = append(owners, bc)
	}
	opts := c.batchOpts
	pending := items
	for len(pending) > 0 && ctx.Err() == nil {
		var again []*batchItem
		var mu sync.Mutex
		var rounds sync.WaitGroup
		for _, chunk := range pinGroups(pending, opts.MaxCalls) {
			rounds.Go(func() {
				a, alone := c.execute(ctx, chunk)
				for _, it := range alone {
					wg.Go(func() { c.callAlone(ctx, it) })
				}
				mu.Lock()
				again = append(again, a...)
				mu.Unlock()
			})
		}
		rounds.Wait()
		pending = again
	}
	for _, it := range pending {
		c.deliver(it, context.Cause(ctx))
	}
	wg.Wait()
	// Every item is finished now: each was delivered by its execute, by
	// callAlone, or just above.
	for i, it := range items {
		<-it.done
		owners[i].Err = it.err
	}
	var errs []error
	for _, bc := range b.calls {
		if bc.Err != nil {
			errs = append(errs, bc.Err)
		}
	}
	return errors.Join(errs...)
}
