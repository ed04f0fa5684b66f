package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxBatchCalls is the most API calls one execute request may make.
const MaxBatchCalls = 25

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
	resends resendCount  // resubmissions after a retryable error, by the rule of a direct call
	start   time.Time    // when the call began: MaxElapsed bounds its resends after error 6
	sends   atomic.Int32 // HTTP requests attempted for it, for CallError.Attempts
	pin     *entry       // the token that sent it before, for a keyed item
	queued  time.Time    // when it last joined the batcher's queue

	// The result. A caller that gives up abandons the item; from then on
	// nothing writes to out. finish decodes into out under mu, only while
	// the item is pending, so the two never overlap.
	mu    sync.Mutex
	state itemState
	err   error         // set before done is closed
	done  chan struct{} // closed when the item is finished
}

type itemState uint8

const (
	itemPending   itemState = iota
	itemFinished            // has its result; out is written
	itemAbandoned           // its caller returned; out is the caller's again
)

// newBatchItem formats params once, adding the method's idempotency key
// when the caller did not give one, so that every resubmission carries the
// same key.
func newBatchItem(ctx context.Context, method string, params Params, out any) (*batchItem, error) {
	meta, _ := lookupMethod(method)
	it := &batchItem{ctx: ctx, method: method, meta: meta, out: out, args: make(map[string]string, len(params)+1),
		safe: meta.flags&methodRead != 0, done: make(chan struct{}), start: time.Now()}
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

// finish gives a pending item its result: raw decoded into out when err is
// nil, and the error wrapped as Call would wrap it. An item already
// finished or abandoned is left alone.
func (c *Client) finish(it *batchItem, raw json.RawMessage, err error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.state != itemPending {
		return
	}
	if err == nil && raw != nil {
		err = decodeInto(raw, it.out)
	}
	if err != nil && it.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// Its batch ended because its callers gave up: this one's own
		// reason, not the batch's.
		err = context.Cause(it.ctx)
	}
	if err != nil {
		err = &CallError{Method: it.method, Attempts: int(it.sends.Load()), Err: err, redact: c.pool.redact}
	}
	it.err, it.state = err, itemFinished
	close(it.done)
}

// deliver finishes an item with an error.
func (c *Client) deliver(it *batchItem, err error) { c.finish(it, nil, err) }

// abandon marks a pending item abandoned by its caller and reports true;
// it reports false when the item is already finished (its result stands).
func (it *batchItem) abandon() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.state == itemPending {
		it.state = itemAbandoned
		return true
	}
	return it.state == itemAbandoned
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
