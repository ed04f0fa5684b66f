package vkapi

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
)

// DefaultBaseURL is the API server root the client talks to unless
// WithBaseURL says otherwise.
const DefaultBaseURL = "https://api.vk.com"

// DefaultVersion is the API version sent as v unless WithVersion or the
// call's own v says otherwise.
const DefaultVersion = "5.199"

// Client calls the VK API and applies each error's documented remedy by
// itself: it keeps every token to its rate budget, retries what is safe to
// retry, sets idempotency keys, and calls the hooks for challenges a person
// must answer. A Client is safe for concurrent use; make one per set of
// tokens, share it, and Close it when done.
type Client struct {
	config    // the options, with their defaults filled in by New
	pool      *pool
	batchOpts BatchOptions
	batcher   *batcher // nil unless WithBatching
	closers   closers  // what Close stops
	ownHC     bool     // New made hc: Close closes its idle connections
	life      lifecycle
}

// lifecycle tracks the goroutines the client starts on its own (batch
// sends, token refreshes, kind detection), so that Close can end them and
// wait for them.
type lifecycle struct {
	ctx    context.Context // ends on Close, with ErrClosed as its cause
	cancel context.CancelCauseFunc
	closed atomic.Bool
	mu     sync.Mutex // orders wg.Add against Close's wg.Wait
	wg     sync.WaitGroup
}

// enter registers a goroutine of the client; it reports false after Close.
// Each true must be matched by a wg.Done.
func (l *lifecycle) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return false
	}
	l.wg.Add(1)
	return true
}

// spawn runs f in a goroutine of the client, unless the client is closed.
func (l *lifecycle) spawn(f func()) bool {
	if !l.enter() {
		return false
	}
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}

// detach returns a context for work that must not end with the context of
// the call that started it (a token refresh other calls wait for, a kind
// detection): it keeps ctx's values, ends after timeout or on Close.
func (l *lifecycle) detach(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	stop := context.AfterFunc(l.ctx, cancel)
	return dctx, func() { stop(); cancel() }
}

// New returns a client that calls the API with token, and with the tokens
// of WithTokens and WithTokensOfKind. An empty token and no others makes a
// client without a token, for the few methods that need none.
func New(token string, opts ...Option) *Client {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	var tokens []tokenSpec
	for _, t := range append([]tokenSpec{{token, KindUnknown}}, cfg.tokens...) {
		if t.token != "" {
			if t.kind == KindUnknown {
				t.kind = cfg.kind
			}
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		tokens = []tokenSpec{{"", cfg.kind}}
	}
	c := &Client{config: cfg}
	c.life.ctx, c.life.cancel = context.WithCancelCause(context.Background())
	c.retry, c.limit = c.retry.withDefaults(), c.limit.withDefaults()
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	c.hc, c.ownHC = guardedHTTPClient(c.hc)
	if c.version == "" {
		c.version = DefaultVersion
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = vkerr.DefaultMaxBodySize
	}
	if c.maxCaptcha <= 0 {
		c.maxCaptcha = 3
	}
	c.pool = newPool(tokens, c.limit)
	c.attachShared()
	c.batchOpts = BatchOptions{}.withDefaults()
	if c.batching != nil {
		c.batchOpts = c.batching.withDefaults()
		c.batcher = newBatcher(c, c.batchOpts)
	}
	return c
}

// Close stops the client: later calls fail at once with an error matching
// ErrClosed, and so do the calls waiting in an open batch of WithBatching;
// the batches under way are canceled. It waits for every goroutine the
// client started (batch sends, token refreshes, kind detection, the Redis
// limiter's), and closes the idle connections of the HTTP client New made
// (not those of a WithHTTPClient client). Calls already under way on their
// callers' goroutines end by themselves. Close is safe to call more than
// once; it always returns nil.
func (c *Client) Close() error {
	c.life.mu.Lock()
	if c.life.closed.Swap(true) {
		c.life.mu.Unlock()
		return nil
	}
	c.life.mu.Unlock()
	if c.batcher != nil {
		c.batcher.close()
	}
	c.life.cancel(ErrClosed)
	c.life.wg.Wait()
	c.closers.run()
	if c.ownHC {
		c.hc.CloseIdleConnections()
	}
	return nil
}

// Call calls method with params and decodes the "response" value into out
// (which json.Unmarshal must accept; nil discards it). When Call returns,
// nothing of the client touches out any more.
//
// On the way it applies the remedies the error catalogue documents:
//   - it waits for the token's rate limiter, and after an error 6 slows the
//     token down and resends, for as long as RetryPolicy.MaxElapsed and ctx
//     allow (such resends do not count against MaxAttempts: the server did
//     nothing);
//   - it retries transient failures (errors 1 and 10, non-200 statuses, HTML
//     pages, truncated bodies, resets, timeouts) with exponential backoff
//     and full jitter, or after the Retry-After of a 429 or 503 answer,
//     within RetryPolicy's caps, but only when the call is safe to repeat:
//     the method only reads, or the request carries an idempotency key;
//   - for methods that take random_id (messages.send) or guid (wall.post)
//     it sets one when params has none, once per call, the same on every
//     resend; a random_id of 0 is VK's "no deduplication" and is kept;
//   - errors 9 and 29 end the call at once with a *CooldownError; after a 29
//     the method is refused on that token, locally, until the cooldown ends;
//   - errors 14, 17, 24, 5 and 3609 go to their hooks, if set;
//   - a token that gets 5 (with no TokenRefresher) or 3610 leaves the pool
//     (with a *TokenError, once).
//
// Every error it returns is a *CallError; errors.Is and errors.As reach the
// vkerr error inside. After an execute whose inner calls partly failed, out
// holds the response and the error matches vkerr.ExecuteErrors. Every wait
// ends when ctx does. After Close, Call fails with ErrClosed.
func (c *Client) Call(ctx context.Context, method string, params Params, out any) error {
	if !validMethodName(method) {
		return &CallError{Method: strconv.Quote(method), Err: errors.New("invalid method name"), redact: c.pool.redact}
	}
	if c.life.closed.Load() {
		return &CallError{Method: method, Err: ErrClosed, redact: c.pool.redact}
	}
	if !c.pool.kindsKnown.Load() {
		if err := c.detectKinds(ctx); err != nil {
			return &CallError{Method: method, Err: err, redact: c.pool.redact}
		}
	}
	if c.batcher != nil && c.pool.batchable(method) {
		it, err := newBatchItem(ctx, method, params, out)
		if err != nil {
			return &CallError{Method: method, Err: err, redact: c.pool.redact}
		}
		return c.batcher.call(it)
	}
	meta, _ := lookupMethod(method)
	var b strings.Builder
	if err := encodeParams(&b, params); err != nil {
		return &CallError{Method: method, Err: err, redact: c.pool.redact}
	}
	if params["v"] == nil {
		appendParam(&b, "v", c.version)
	}
	if params["lang"] == nil && c.lang != "" {
		appendParam(&b, "lang", c.lang)
	}
	safe := meta.flags&methodRead != 0
	if k := idempotencyKey(meta); k != "" {
		if v, ok := params[k]; ok && v != nil {
			s, _ := formatValue(v)
			safe = s != "" && s != "0"
		} else {
			appendParam(&b, k, newIdempotencyValue(k))
			safe = true
		}
	}
	st := &callState{method: method, meta: meta, body: b.String(), safe: safe, keyed: safe && idempotencyKey(meta) != "", start: time.Now()}
	return c.run(ctx, st, out)
}
