package vkapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
)

// Limit is the client's rate budget per token (ads.* methods count with the
// rest: VK gives them limits of their own on top, which it reports as error
// 601), kept with a strict rolling
// window: at most N requests in any window of Per, counted from when each
// request is sent until Per after its answer came back, so that no network
// delay can make the server count more. Each zero field takes its default;
// the zero Limit is VK's documented budget.
type Limit struct {
	// Per is the window. Zero means one second.
	Per time.Duration
	// User, Group and Service are the budgets per window of user, community
	// and service tokens; a token of unknown kind gets User. Zero means 3,
	// 20 and 3.
	User, Group, Service int
	// Secure is the budget of secure.* methods, counted apart from the rest.
	// Zero means 5, the lowest of VK's tiers (apps under 10,000 users).
	Secure int
	// Off turns the client's limiter off: requests go out as fast as they
	// come, and an error 6 is only retried.
	Off bool
}

func (l Limit) withDefaults() Limit {
	if l.Per <= 0 {
		l.Per = vkerr.RateWindow
	}
	if l.User <= 0 {
		l.User = vkerr.UserRateBudget
	}
	if l.Group <= 0 {
		l.Group = vkerr.GroupRateBudget
	}
	if l.Service <= 0 {
		l.Service = vkerr.ServiceRateBudget
	}
	if l.Secure <= 0 {
		l.Secure = vkerr.MinSecureRateBudget
	}
	return l
}

func (l Limit) budget(k TokenKind) int {
	switch k {
	case KindGroup:
		return l.Group
	case KindService:
		return l.Service
	}
	return l.User
}

// entry is one token of the pool. Its limiters never change; the fields
// under "guarded by pool.mu" do.
type entry struct {
	idx    int
	kind   TokenKind
	main   *window // every method but secure.*
	secure *window

	// guarded by pool.mu
	token   string
	dead    bool
	deadErr error
	blocked map[string]blockedMethod // error 29: method → cooldown
	flight  *flight                  // a token renewal under way
}

type blockedMethod struct {
	until time.Time
	err   *vkerr.Error
}

// flight is a token renewal (Validator or TokenRefresher) that concurrent
// callers share.
type flight struct {
	done  chan struct{}
	token string
	err   error
}

type pool struct {
	limit   Limit
	mu      sync.Mutex
	entries []*entry
	rr      atomic.Uint64
	// redactor replaces every token the pool has held; swapped when a token
	// is added.
	redactor atomic.Pointer[strings.Replacer]
	secrets  []string // guarded by mu: every token ever held
	// kindsKnown is set once every token's kind is known, or its detection
	// is over (see detectKinds); entry.kind does not change after.
	kindsKnown atomic.Bool
	detect     *flight // the detection under way, guarded by mu
}

func newPool(tokens []tokenSpec, limit Limit) *pool {
	p := &pool{limit: limit}
	known := true
	for i, t := range tokens {
		p.entries = append(p.entries, &entry{
			idx: i, kind: t.kind, token: t.token,
			main:   newWindow(limit.budget(t.kind), limit.Per),
			secure: newWindow(limit.Secure, limit.Per),
		})
		p.secrets = append(p.secrets, t.token)
		known = known && (t.kind != KindUnknown || t.token == "")
	}
	p.kindsKnown.Store(known)
	p.rebuildRedactor()
	return p
}

// rebuildRedactor must be called with mu held (or before the pool is
// shared).
func (p *pool) rebuildRedactor() {
	var pairs []string
	for _, s := range p.secrets {
		if s != "" {
			pairs = append(pairs, s, vkerr.Redacted)
		}
	}
	p.redactor.Store(strings.NewReplacer(pairs...))
}

// redact replaces every token the pool has held in s.
func (p *pool) redact(s string) string {
	if r := p.redactor.Load(); r != nil {
		return r.Replace(s)
	}
	return s
}

// redactBytes replaces every token the pool has held in an answer's bytes,
// before they are classified, so that no error made of them can carry one.
func (p *pool) redactBytes(b []byte) []byte {
	if r := p.redactor.Load(); r != nil && len(b) > 0 {
		if s := r.Replace(string(b)); s != string(b) {
			return []byte(s)
		}
	}
	return b
}

// window returns the limiter of e that counts method.
func (e *entry) window(method string) *window {
	if strings.HasPrefix(method, "secure.") {
		return e.secure
	}
	return e.main
}

// lease is a token taken for one request, with its limiter slot.
type lease struct {
	e     *entry
	token string
	win   *window // nil when the limiter is off
}

// errPinnedTokenGone ends the resend of a keyed write whose token left
// the pool or cools down: VK deduplicates random_id and guid per sender, so
// another token could deliver the write twice.
var errPinnedTokenGone = errors.New("vkapi: the token that sent this write can no longer resend it, and another token could deliver it twice")

// acquire picks a token for method and takes a limiter slot on it, waiting
// as long as ctx allows. It refuses without waiting when every token is dead
// (noTokensError) or cooling down for the method (*CooldownError). A non-nil
// pin is the only token acquire may choose (errPinnedTokenGone when it
// cannot).
func (p *pool) acquire(ctx context.Context, method string, meta methodMeta, pin *entry, obs func(idx int, waited time.Duration)) (lease, error) {
	for {
		var stack [8]*entry
		cands, err := p.candidates(stack[:0], method, meta)
		if err != nil && pin == nil {
			return lease{}, err
		}
		if pin != nil {
			if !slices.Contains(cands, pin) {
				return lease{}, errPinnedTokenGone
			}
			cands = append(cands[:0], pin)
		}
		var chosen *entry
		if p.limit.Off {
			chosen = cands[int(p.rr.Add(1)%uint64(len(cands)))]
		} else {
			start := int(p.rr.Add(1) % uint64(len(cands)))
			for i := range cands {
				e := cands[(start+i)%len(cands)]
				if e.window(method).tryAcquire() {
					chosen = e
					break
				}
			}
			if chosen == nil {
				chosen = cands[start]
				waited, err := chosen.window(method).acquire(ctx)
				if obs != nil {
					obs(chosen.idx, waited)
				}
				if err != nil {
					return lease{}, err
				}
			}
		}
		var win *window
		if !p.limit.Off {
			win = chosen.window(method)
		}
		p.mu.Lock()
		tok, dead := chosen.token, chosen.dead
		p.mu.Unlock()
		if dead {
			// It died while we waited: give the slot back unused, choose again.
			if win != nil {
				win.release(false)
			}
			continue
		}
		return lease{e: chosen, token: tok, win: win}, nil
	}
}

// candidates lists the tokens that may serve method now.
func (p *pool) candidates(dst []*entry, method string, meta methodMeta) ([]*entry, error) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var live, cooling int
	var lastDead error
	var cool *CooldownError
	for _, e := range p.entries {
		if e.dead {
			lastDead = e.deadErr
			continue
		}
		live++
		if b, ok := e.blocked[method]; ok {
			if now.Before(b.until) {
				cooling++
				if cool == nil || b.until.Before(cool.Until) {
					cool = &CooldownError{Method: method, Code: vkerr.RateLimit, Until: b.until, Local: true, Err: b.err}
				}
				continue
			}
			delete(e.blocked, method)
		}
		dst = append(dst, e)
	}
	switch {
	case live == 0:
		return nil, &noTokensError{last: lastDead}
	case len(dst) == 0:
		return nil, cool
	}
	// Prefer the tokens whose kind the schema allows for the method; if none
	// is, let the server answer (27, 28) rather than guess.
	if meta.kinds != 0 {
		n := 0
		for _, e := range dst {
			if meta.kinds.allows(e.kind) {
				n++
			}
		}
		if n > 0 && n < len(dst) {
			kept := dst[:0]
			for _, e := range dst {
				if meta.kinds.allows(e.kind) {
					kept = append(kept, e)
				}
			}
			dst = kept
		}
	}
	return dst, nil
}

// block refuses method on e until until (error 29).
func (p *pool) block(e *entry, method string, until time.Time, cause *vkerr.Error) {
	p.mu.Lock()
	if e.blocked == nil {
		e.blocked = make(map[string]blockedMethod)
	}
	e.blocked[method] = blockedMethod{until: until, err: cause}
	p.mu.Unlock()
}

// kill takes e out of the pool if it still holds token. It reports whether
// this call removed it, so that the removal is reported once.
func (p *pool) kill(e *entry, token string, cause error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.dead || e.token != token || token == "" {
		return false
	}
	e.dead, e.deadErr = true, cause
	return true
}

// beginRenew starts the renewal of e's token, which used is the token a
// failed request carried. When another call already renewed it, it returns
// no flight and the new token; otherwise the flight to wait on, and leader
// set when the caller must run the renewal and end it with endRenew.
func (p *pool) beginRenew(e *entry, used string) (f *flight, leader bool, token string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.token != used && !e.dead {
		return nil, false, e.token
	}
	if e.flight != nil {
		return e.flight, false, ""
	}
	e.flight = &flight{done: make(chan struct{})}
	return e.flight, true, ""
}

// endRenew ends the renewal f of e with its result: a new token replaces
// the old one; an error leaves the old one in place (only the server's
// verdict takes a token out of the pool).
func (p *pool) endRenew(e *entry, f *flight, tok string, err error) {
	if err == nil && tok == "" {
		err = errors.New("the hook returned an empty token")
	}
	p.mu.Lock()
	if err == nil {
		e.token, e.dead, e.deadErr = tok, false, nil
		p.secrets = append(p.secrets, tok)
		p.rebuildRedactor()
	}
	e.flight = nil
	f.token, f.err = tok, err
	close(f.done)
	p.mu.Unlock()
}
