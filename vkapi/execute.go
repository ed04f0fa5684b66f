package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// One execute request of a batch, and the splitting of its answer into the
// results of its calls.

// ErrBatchMismatch is matched by the error of a call whose place in an
// execute answer could not be told: the answer had the wrong number of
// results, or an execute_errors entry named another method.
var ErrBatchMismatch = errors.New("vkapi: execute answer does not match its calls")

// execute sends items (at most 25) as one execute request and finishes each
// item with its result, or hands it back: again, to send in a later batch;
// alone, to send by itself with callAlone (a challenge a hook answers).
// The caller runs the alone items and waits for them.
func (c *Client) execute(ctx context.Context, items []*batchItem) (again, alone []*batchItem) {
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
			if retry && it.safe && it.resends.allow(err, c.batchOpts.MaxRetries, it.start, c.retry.MaxElapsed) {
				again = append(again, it.pinTo(st.pin))
				continue
			}
			c.deliver(it, err)
		}
		return again, nil
	}
	var results []json.RawMessage
	if json.Unmarshal(raw, &results) != nil || len(results) != len(items) {
		for _, it := range items {
			c.deliver(it, fmt.Errorf("%w: %d results for %d calls", ErrBatchMismatch, len(results), len(items)))
		}
		return nil, nil
	}
	next := 0
	for i, it := range items {
		res := results[i]
		if string(res) != "false" || next >= len(ee) {
			c.finish(it, res, nil)
			continue
		}
		inner := ee[next]
		if inner.Method != "" && inner.Method != it.method {
			c.deliver(it, fmt.Errorf("%w: execute_errors names %s where %s was called", ErrBatchMismatch, inner.Method, it.method))
			continue
		}
		next++
		switch {
		case it.safe && (inner.Category() == vkerr.CategoryTransient || inner.Code == vkerr.TooMany) &&
			it.resends.allow(inner, c.batchOpts.MaxRetries, it.start, c.retry.MaxElapsed):
			again = append(again, it.pinTo(st.pin))
		case c.hookFor(inner.Code):
			alone = append(alone, it.pinTo(st.pin))
		default:
			c.deliver(it, inner)
		}
	}
	return again, alone
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

// callAlone sends an item as a direct request, with its idempotency key,
// so that a hook can answer its challenge. It must not go through Call:
// under WithBatching, Call would put the item back into a batch, where the
// challenge comes back again, for ever. A keyed item goes out on its pin,
// the token of the execute that carried it. The answer is decoded into the
// item's out only by finish, so never after its caller gave up.
func (c *Client) callAlone(ctx context.Context, it *batchItem) {
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
		st.pin = it.pin
	}
	var raw json.RawMessage
	err := c.run(ctx, st, &raw)
	var ce *CallError
	if errors.As(err, &ce) {
		err = ce.Err
	}
	it.sends.Add(int32(st.attempts))
	c.finish(it, raw, err)
}
