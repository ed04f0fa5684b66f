package vkapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"
)

// SharedLimiter keeps the client's rate budgets together with the other
// processes that use the same tokens, so that replicas of a bot sharing a
// community token keep to its 20 requests per second together. Package
// redislimit keeps them in Redis; give one to WithSharedLimiter.
//
// The client's own window stays in front: a request first takes a slot of
// its token's window in this process (so one process never has more than
// the budget in flight or in the window, and an error 6 still pauses it),
// then passes the budget's SharedGate, which says when it may go.
type SharedLimiter interface {
	// Gate returns the gate of one budget of the client. New calls it once
	// per budget (each token's methods, and its secure.* methods) before
	// the client is used.
	Gate(b SharedBudget) SharedGate
	// Close stops every goroutine the limiter started and waits for them;
	// Pass calls still waiting then return an error. The client's Close
	// calls it.
	Close() error
}

// SharedBudget is one rate budget of a client, as a SharedLimiter sees it.
type SharedBudget struct {
	// ID names the budget across processes without revealing the token:
	// the first 32 hex digits of the SHA-256 of the token, then ":secure"
	// for the secure.* methods. It changes when the token is renewed (a
	// renewed token has a budget of its own), so ask it for each request.
	ID func() string
	// N requests per Per is the budget.
	N   int
	Per time.Duration
	// Cap caps the budget of the client's own window at n requests per Per
	// (zero lifts the cap) and has it grant no slot before notBefore: a
	// limiter keeps to a local share of the budget with it while the
	// budget's keeper is away.
	Cap func(n int, notBefore time.Time)
	// Logger is the client's logger (WithLogger).
	Logger *slog.Logger
}

// SharedGate lets a client's requests go on one budget kept beyond the
// process.
type SharedGate interface {
	// Ticket is called before the request takes its slot of the client's
	// window; Pass gets its value. A gate uses it to tell slots taken
	// before a Cap from slots taken after.
	Ticket() uint64
	// Pass waits, with a slot of the client's window held and no lock
	// held, until the request may go, as long as ctx allows. It returns
	// ErrRetrySlot to have the window's slot given back and taken again
	// (the budget was capped since ticket was read), or ctx's cause, or the
	// error that stopped the gate.
	Pass(ctx context.Context, ticket uint64) error
}

// ErrRetrySlot is what SharedGate.Pass returns to have the client give its
// window's slot back and take one again.
var ErrRetrySlot = errors.New("vkapi: take the limiter slot again")

// WithSharedLimiter makes the client keep each token's budget together
// with other processes through l (see SharedLimiter), as well as in its own
// window:
//
//	rl := redislimit.New(rdb, redislimit.Replicas(4))
//	c := vkapi.New(token, vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithSharedLimiter(rl))
//	defer c.Close() // closes rl too
//
// The client takes l over: its Close closes l, so give each client a
// limiter of its own. A nil l, the default, keeps the in-process limiter
// alone; with Limit.Off the client consults no limiter, shared or not.
// With a shared limiter the pool takes tokens in turn rather than looking
// for one that is free without waiting.
func WithSharedLimiter(l SharedLimiter) Option {
	return func(c *config) { c.shared = l }
}

// attachShared puts a gate of the shared limiter on every window of the
// pool, and has Close close the limiter.
func (c *Client) attachShared() {
	if c.shared == nil {
		return
	}
	c.closers.add(func() { _ = c.shared.Close() })
	if c.limit.Off {
		return
	}
	for _, e := range c.pool.entries {
		for _, w := range []*window{e.main, e.secure} {
			suffix := ""
			if w == e.secure {
				suffix = ":secure"
			}
			w.gate = c.shared.Gate(SharedBudget{
				ID:     func() string { return budgetID(c.pool.tokenOf(e), suffix) },
				N:      w.n,
				Per:    w.per,
				Cap:    w.setShare,
				Logger: c.log,
			})
		}
	}
}

// budgetID names a token's budget without revealing the token.
func budgetID(token, suffix string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:16]) + suffix
}

// tokenOf returns e's current token.
func (p *pool) tokenOf(e *entry) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return e.token
}
