package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
)

// MaxBatchCalls is the most API calls one execute request may make.
const MaxBatchCalls = 25

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
	// error (1, 10, 6), or whose batch lost its answer (see WithBatching),
	// is sent again in a later batch. Default 3.
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
// other calls go again in a later batch.
//
// While every token's rate limiter is busy, a batch whose window has ended
// stays open, for at most one window of the rate limit (Limit.Per), so that
// the calls arriving meanwhile join it rather than start a batch of their
// own: under load every request of the budget carries up to 25 calls.
//
// Never batched: execute itself and stored procedures (execute.NAME), the
// upload *.save methods, methods the schema does not list, and methods the
// pool's token kind may not call inside execute. Those go out alone.
func WithBatching(o BatchOptions) Option {
	return func(c *config) { c.batching = &o }
}

// uploadSaveMethods save the result of an upload; they are never batched,
// following the practice of established clients (vk-io): an upload result
// is single-use and must not share the fate of a batch.
var uploadSaveMethods = map[string]bool{
	"photos.save": true, "photos.saveMarketAlbumPhoto": true, "photos.saveMessagesPhoto": true,
	"photos.saveOwnerCoverPhoto": true, "photos.saveOwnerPhoto": true, "photos.saveWallPhoto": true,
	"docs.save": true, "video.save": true, "video.saveUploadedThumb": true, "stories.save": true,
	"polls.savePhoto": true, "market.saveProductPhoto": true, "market.saveProductPhotoBulk": true,
	"appWidgets.saveAppImage": true, "appWidgets.saveGroupImage": true,
}

// batchable reports whether method may go inside an execute request made
// with a token of kind k.
func batchable(method string, k TokenKind) bool {
	if method == "execute" || strings.HasPrefix(method, "execute.") || uploadSaveMethods[method] {
		return false
	}
	meta, ok := lookupMethod(method)
	if !ok {
		return false
	}
	exec, _ := lookupMethod("execute")
	return (meta.kinds == 0 || meta.kinds.allows(k)) && exec.kinds.allows(k)
}

// batchItem is one call inside a batch.
type batchItem struct {
	ctx     context.Context
	method  string
	meta    methodMeta
	args    map[string]string // parameters, formatted, idempotency key included
	safe    bool
	out     any
	tries   int          // execute requests that carried it
	retries int          // resubmissions after a retryable inner error
	sends   atomic.Int32 // HTTP requests attempted for it, for CallError.Attempts
	pin     *entry       // the token that sent it before, for a keyed item
	queued  time.Time    // when it last joined the batcher's queue

	done chan error // receives the result once
}

// newBatchItem formats params once, adding the method's idempotency key
// when the caller did not give one, so that every resubmission carries the
// same key.
func newBatchItem(ctx context.Context, method string, params Params, out any) (*batchItem, error) {
	meta, _ := lookupMethod(method)
	it := &batchItem{ctx: ctx, method: method, meta: meta, out: out, args: make(map[string]string, len(params)+1),
		safe: meta.flags&methodRead != 0, done: make(chan error, 1)}
	for k, v := range params {
		if v == nil {
			continue
		}
		if k == "" {
			return nil, errors.New("vkapi: a parameter with an empty name")
		}
		s, err := formatValue(v)
		if err != nil {
			return nil, fmt.Errorf("vkapi: parameter %s: %w", k, err)
		}
		it.args[k] = s
	}
	if k := idempotencyKey(meta); k != "" {
		if s, ok := it.args[k]; ok {
			it.safe = s != "" && s != "0"
		} else {
			it.args[k] = newIdempotencyValue(k)
			it.safe = true
		}
	}
	return it, nil
}

// executeCode writes the VKScript of a batch: return [API.a({...}), ...];
func executeCode(items []*batchItem) string {
	var b strings.Builder
	b.WriteString("return [")
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("API.")
		b.WriteString(it.method)
		b.WriteString("({")
		first := true
		for _, k := range sortedKeys(it.args) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(scriptString(k))
			b.WriteByte(':')
			b.WriteString(scriptString(it.args[k]))
		}
		b.WriteString("})")
	}
	b.WriteString("];")
	return b.String()
}

// scriptString quotes s as a VKScript (JavaScript) string literal.
func scriptString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ErrBatchMismatch is matched by the error of a call whose place in an
// execute answer could not be told: the answer had the wrong number of
// results, or an execute_errors entry named another method.
var ErrBatchMismatch = errors.New("vkapi: execute answer does not match its calls")

// execute sends items (at most 25) as one execute request and delivers each
// item's result, or hands back the items to send again.
func (c *Client) execute(ctx context.Context, items []*batchItem) (again []*batchItem) {
	for _, it := range items {
		it.tries++
	}
	code := executeCode(items)
	meta, _ := lookupMethod("execute")
	safe, keyed := true, false
	for _, it := range items {
		safe = safe && it.safe
		keyed = keyed || it.keyed()
	}
	var b strings.Builder
	appendParam(&b, "code", code)
	appendParam(&b, "v", c.version)
	if c.lang != "" {
		appendParam(&b, "lang", c.lang)
	}
	// Items sent before carry the token that sent them; a batch holds
	// items of one pin only (see pinGroups).
	var pin *entry
	for _, it := range items {
		if it.pin != nil {
			pin = it.pin
			break
		}
	}
	st := &callState{method: "execute", meta: meta, body: b.String(), safe: safe, keyed: keyed, pin: pin, start: time.Now()}
	var raw json.RawMessage
	err := c.run(ctx, st, &raw)
	for _, it := range items {
		it.sends.Add(int32(st.attempts))
	}
	var ee vkerr.ExecuteErrors
	if err != nil && !errors.As(err, &ee) {
		// The whole request failed, after its remedies: every call shares
		// it. But when it was not resent only because some of its calls are
		// unsafe to repeat, the others go again in a later batch: a lost
		// answer must not fail the reads and keyed writes it carried. Keyed
		// writes are pinned to the token that sent them (VK deduplicates
		// per sender).
		var ce *CallError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		retry := !safe && ctx.Err() == nil && isTransient(err)
		for _, it := range items {
			if retry && it.safe && it.retries < c.batchOpts.MaxRetries {
				it.retries++
				again = append(again, it.pinTo(st.pin))
				continue
			}
			c.deliver(it, err)
		}
		return again
	}
	var results []json.RawMessage
	if json.Unmarshal(raw, &results) != nil || len(results) != len(items) {
		for _, it := range items {
			c.deliver(it, fmt.Errorf("%w: %d results for %d calls", ErrBatchMismatch, len(results), len(items)))
		}
		return nil
	}
	next := 0
	for i, it := range items {
		res := results[i]
		if string(res) != "false" || next >= len(ee) {
			c.deliver(it, decodeInto(res, it.out))
			continue
		}
		inner := ee[next]
		if inner.Method != "" && inner.Method != it.method {
			c.deliver(it, fmt.Errorf("%w: execute_errors names %s where %s was called", ErrBatchMismatch, inner.Method, it.method))
			continue
		}
		next++
		switch {
		case it.safe && it.retries < c.batchOpts.MaxRetries && (inner.Category() == vkerr.CategoryTransient || inner.Code == vkerr.TooMany):
			it.retries++
			again = append(again, it.pinTo(st.pin))
		case c.hookFor(inner.Code):
			go c.callAlone(it, st.pin)
		default:
			c.deliver(it, inner)
		}
	}
	return again
}

// hookFor reports whether a hook is set that answers code.
func (c *Client) hookFor(code vkerr.Code) bool {
	switch code {
	case vkerr.Captcha:
		return c.captcha != nil
	case vkerr.AuthValidation:
		return c.validator != nil
	case vkerr.NeedConfirmation:
		return c.confirmer != nil
	}
	return false
}

// keyed reports whether the item carries an idempotency key.
func (it *batchItem) keyed() bool {
	return it.safe && idempotencyKey(it.meta) != ""
}

// pinTo pins a keyed item to the token that sent it, for its resends.
func (it *batchItem) pinTo(e *entry) *batchItem {
	if it.keyed() && it.pin == nil {
		it.pin = e
	}
	return it
}

// pinGroups splits items into batches of at most max items in which all
// pinned items share one pin; unpinned items fill any batch.
func pinGroups(items []*batchItem, max int) [][]*batchItem {
	type group struct {
		pin   *entry
		items []*batchItem
	}
	var gs []*group
	for _, it := range items {
		var g *group
		for _, c := range gs {
			if len(c.items) < max && (it.pin == nil || c.pin == nil || c.pin == it.pin) {
				g = c
				break
			}
		}
		if g == nil {
			g = &group{}
			gs = append(gs, g)
		}
		if it.pin != nil {
			g.pin = it.pin
		}
		g.items = append(g.items, it)
	}
	out := make([][]*batchItem, len(gs))
	for i, g := range gs {
		out[i] = g.items
	}
	return out
}

// callAlone sends an item as a direct request, with its idempotency key,
// so that a hook can answer its challenge or a keyed write can be resent.
// It must not go through Call: under WithBatching, Call would put the item
// back into a batch, where the challenge comes back again, for ever. A
// keyed item goes out on pin, the token of the execute that carried it,
// when that is known.
func (c *Client) callAlone(it *batchItem, pin *entry) {
	var b strings.Builder
	for _, k := range sortedKeys(it.args) {
		appendParam(&b, k, it.args[k])
	}
	if _, ok := it.args["v"]; !ok {
		appendParam(&b, "v", c.version)
	}
	if _, ok := it.args["lang"]; !ok && c.lang != "" {
		appendParam(&b, "lang", c.lang)
	}
	st := &callState{method: it.method, meta: it.meta, body: b.String(), safe: it.safe, keyed: it.keyed(), start: time.Now()}
	if st.keyed {
		st.pin = pin
	}
	err := c.run(it.ctx, st, it.out)
	var ce *CallError
	if errors.As(err, &ce) {
		err = ce.Err
	}
	it.sends.Add(int32(st.attempts))
	c.deliver(it, err)
}

func decodeInto(raw json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	if rm, ok := out.(*json.RawMessage); ok {
		*rm = append((*rm)[:0], raw...)
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	return nil
}

// deliver hands an item its result, wrapped as Call would wrap it.
func (c *Client) deliver(it *batchItem, err error) {
	if err != nil {
		err = &CallError{Method: it.method, Attempts: int(it.sends.Load()), Err: err, redact: c.pool.redact}
	}
	select {
	case it.done <- err:
	default:
	}
}

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
// has its result, or ctx is done. Its error joins the errors of the calls
// that failed (errors.Is and errors.As see each); every BatchCall also has
// its own Err.
func (b *Batch) Do(ctx context.Context) error {
	c := b.c
	kind := c.pool.kind()
	var items []*batchItem
	var owners []*BatchCall
	var wg sync.WaitGroup
	for _, bc := range b.calls {
		if !batchable(bc.Method, kind) || !validMethodName(bc.Method) {
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
				a := c.execute(ctx, chunk)
				mu.Lock()
				again = append(again, a...)
				mu.Unlock()
			})
		}
		rounds.Wait()
		pending = again
	}
	for _, it := range pending {
		c.deliver(it, ctx.Err())
	}
	var errs []error
	for i, it := range items {
		select {
		case err := <-it.done:
			owners[i].Err = err
		case <-ctx.Done():
			owners[i].Err = &CallError{Method: it.method, Attempts: int(it.sends.Load()), Err: ctx.Err(), redact: c.pool.redact}
		}
	}
	wg.Wait()
	for _, bc := range b.calls {
		if bc.Err != nil {
			errs = append(errs, bc.Err)
		}
	}
	return errors.Join(errs...)
}

// batcher coalesces concurrent Calls into execute requests (WithBatching).
type batcher struct {
	c     *Client
	opts  BatchOptions
	mu    sync.Mutex
	queue []*batchItem
	timer *time.Timer
}

func newBatcher(c *Client, opts BatchOptions) *batcher {
	return &batcher{c: c, opts: opts}
}

// call sends an item in a batch and waits for its result or ctx.
func (b *batcher) call(it *batchItem) error {
	b.submit(it)
	select {
	case err := <-it.done:
		return err
	case <-it.ctx.Done():
		return &CallError{Method: it.method, Attempts: int(it.sends.Load()), Err: context.Cause(it.ctx), redact: b.c.pool.redact}
	}
}

// submit queues items; a full batch leaves at once, a partial one when its
// window ends.
func (b *batcher) submit(items ...*batchItem) {
	now := time.Now()
	b.mu.Lock()
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
		go b.send(batch)
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
	b.mu.Lock()
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

// send makes one execute request of the live items of batch. Its context
// ends when every caller of the batch has given up.
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
	ctx, cancel := context.WithCancel(context.Background())
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
	again := b.c.execute(ctx, live)
	// Keyed writes among them are pinned to the token of this execute: the
	// items go again together, on that token, rather than rejoin the queue.
	for _, it := range again {
		if it.pin != nil {
			go b.send(again)
			return
		}
	}
	if len(again) > 0 {
		b.submit(again...)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// kind returns the token kind of the pool (all its tokens share it).
func (p *pool) kind() TokenKind { return p.entries[0].kind }
