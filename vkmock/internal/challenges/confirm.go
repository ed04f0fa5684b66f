package challenges

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// Confirmations asked by a fault rule's or the X-Vkmock-Error header's
// error 24: as VK, only the same request with confirm=1 gives it, so the
// same request without it gets 24 again even once the rule stops firing.

// DefaultConfirmation is the confirmation_text of a 24 that names none.
const DefaultConfirmation = "Please confirm this action."

// confirmKey names a request: its token, method and parameters, without
// confirm, the token and the captcha answer.
type confirmKey [sha256.Size]byte

// confirmIgnored are the parameters a confirmation does not compare.
var confirmIgnored = map[string]bool{
	"confirm": true, "access_token": true, "captcha_sid": true, "captcha_key": true,
	"success_token": true, "captcha_ts": true, "captcha_attempt": true, "is_sound_captcha": true, "remixstlid": true,
}

func requestKey(q *core.Request) confirmKey {
	ps := make([]core.KV, 0, len(q.Params))
	for _, p := range q.Params {
		if !confirmIgnored[p.Key] {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b core.KV) int { return strings.Compare(a.Key, b.Key) })
	h := sha256.New()
	for _, s := range []string{q.Token, q.Name} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, p := range ps {
		h.Write([]byte(p.Key))
		h.Write([]byte{0})
		h.Write([]byte(p.Value))
		h.Write([]byte{0})
	}
	var k confirmKey
	h.Sum(k[:0])
	return k
}

// confirmations are the pending ones, bounded as the captchas (MaxFlows);
// the oldest go first.
type confirmations struct {
	mu      sync.Mutex
	pending map[confirmKey]string // the confirmation_text
	order   fifo.FIFO[confirmKey]
}

func (c *confirmations) reset() {
	c.mu.Lock()
	c.pending = nil
	c.order.Reset()
	c.mu.Unlock()
}

// askConfirmation registers the request's pending confirmation.
func (r *Room) askConfirmation(q *core.Request, text string) {
	k := requestKey(q)
	c := &r.confirms
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[confirmKey]string{}
		c.order = fifo.New[confirmKey](MaxFlows, MaxFlows*int64(sha256.Size+len(DefaultConfirmation)))
	}
	if _, ok := c.pending[k]; ok {
		return
	}
	text = core.StoredKey(text)
	c.pending[k] = text
	c.order.Add(k, int64(sha256.Size+len(text)), func(old confirmKey) { delete(c.pending, old) })
}

// CheckConfirmation answers 24 to a request whose confirmation is pending
// and that lacks confirm=1; with confirm=1 the confirmation is given.
func (r *Room) CheckConfirmation(q *core.Request) *vkerr.Error {
	c := &r.confirms
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	k := requestKey(q)
	text, ok := c.pending[k]
	if !ok {
		return nil
	}
	if q.Flag("confirm") {
		delete(c.pending, k) // its entry in order goes when evicted
		return nil
	}
	return &vkerr.Error{Code: vkerr.NeedConfirmation, Message: r.msgs.Of(vkerr.NeedConfirmation), ConfirmationText: text}
}
