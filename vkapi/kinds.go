package vkapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
)

// DefaultDetectTimeout bounds the detection of the tokens' kinds (see
// WithTokenKind); past it, a token whose kind is still unknown keeps the
// user budget.
const DefaultDetectTimeout = 10 * time.Second

// detectMethod is the call that tells a community token from the others:
// only a community token may make it.
const detectMethod = "groups.getTokenPermissions"

// detectKinds learns the kind of every token the options gave none, once
// per client: one groups.getTokenPermissions per token, in parallel, each
// counted by the token's limiter. The detection runs detached from ctx
// (bounded by DefaultDetectTimeout and Close); ctx bounds only the wait.
func (c *Client) detectKinds(ctx context.Context) error {
	p := c.pool
	p.mu.Lock()
	if p.kindsKnown.Load() {
		p.mu.Unlock()
		return nil
	}
	f := p.detect
	if f == nil {
		f = &flight{done: make(chan struct{})}
		p.detect = f
		dctx, cancel := c.life.detach(ctx, DefaultDetectTimeout)
		if !c.life.spawn(func() {
			defer cancel()
			c.detectAll(dctx)
			p.endDetect(f, nil)
		}) {
			cancel()
			p.mu.Unlock()
			p.endDetect(f, ErrClosed)
			return ErrClosed
		}
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// endDetect ends the detection f: the kinds no longer change.
func (p *pool) endDetect(f *flight, err error) {
	p.mu.Lock()
	if err == nil {
		p.kindsKnown.Store(true)
	}
	p.detect = nil
	f.err = err
	close(f.done)
	p.mu.Unlock()
}

func (c *Client) detectAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range c.pool.entries {
		if e.kind != KindUnknown || e.token == "" {
			continue
		}
		wg.Go(func() {
			k, err := c.detectKind(ctx, e)
			if err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "vkapi: token kind unknown; it keeps the user budget",
					slog.Int("token", e.idx), slog.String("err", c.errString(err)))
				return
			}
			c.pool.mu.Lock() // candidates reads it meanwhile; calls read it after the detection
			e.kind = k
			c.pool.mu.Unlock()
			e.main.setBudget(c.limit.budget(k))
			c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: token kind detected", slog.Int("token", e.idx), slog.String("kind", k.String()))
		})
	}
	wg.Wait()
}

// detectKind asks the server what kind e's token is: a community token may
// call groups.getTokenPermissions, a user token gets 15 (access denied), a
// service token 28 (application authorization failed).
func (c *Client) detectKind(ctx context.Context, e *entry) (TokenKind, error) {
	meta, _ := lookupMethod(detectMethod)
	l, err := c.pool.acquire(ctx, detectMethod, meta, e, nil)
	if err != nil {
		return KindUnknown, err
	}
	var body strings.Builder
	appendParam(&body, "v", c.version)
	ans := c.send(ctx, detectMethod, body.String(), l.token, nil)
	if l.win != nil {
		l.win.release(true)
	}
	var ve *vkerr.Error
	switch {
	case ans.err == nil:
		return KindGroup, nil
	case errors.As(ans.err, &ve) && ve.Code == vkerr.Access:
		return KindUser, nil
	case errors.As(ans.err, &ve) && ve.Code == vkerr.AppAuth:
		return KindService, nil
	}
	return KindUnknown, ans.err
}

// batchable reports whether method may go inside an execute request made
// with any token of the pool.
func (p *pool) batchable(method string) bool {
	for _, e := range p.entries {
		if !batchable(method, e.kind) {
			return false
		}
	}
	return true
}
