package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
)

// rule is a Fault ready to match.
type rule struct {
	f     Fault
	fired atomic.Int64

	mu     sync.Mutex
	notify chan struct{} // closed and replaced at each firing; nil until waited on
}

// claim takes one firing of the rule if Times allows.
func (r *rule) claim() bool {
	if r.f.Times <= 0 {
		r.fired.Add(1)
		r.wake()
		return true
	}
	for {
		n := r.fired.Load()
		if n >= r.f.Times {
			return false
		}
		if r.fired.CompareAndSwap(n, n+1) {
			r.wake()
			return true
		}
	}
}

// wake tells the waiters of Wait that the rule fired.
func (r *rule) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notify != nil {
		close(r.notify)
		r.notify = nil
	}
}

// firedChan is closed at the rule's next firing.
func (r *rule) firedChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notify == nil {
		r.notify = make(chan struct{})
	}
	return r.notify
}

// Params are a request's parameters: the first value of key.
type Params interface {
	Get(key string) (string, bool)
}

// Request is what a rule matches: the method (or an endpoint's name, such
// as "longpoll.bots"), the token, the parameters, and what the request
// already answers (a captcha, a confirmation). Global and Listed are the
// error codes any method may return and those the method lists; an
// error rule fires only for those.
type Request struct {
	Method        string
	Token         string
	HasToken      bool
	Kind          vkerr.TokenKind
	Params        Params
	CaptchaSolved bool // the request carries the right, unused answer to a captcha
	Confirmed     bool // confirm=1
	Global        map[vkerr.Code]bool
	Listed        map[vkerr.Code]bool
}

// Set is the ordered list of rules of a server, safe for concurrent use:
// matching reads a snapshot, writers replace it. Init must be called
// before use.
type Set struct {
	mu    sync.Mutex // serialises writers
	rules atomic.Pointer[[]*rule]
	seq   uint64

	maxLatency time.Duration
	rngMu      sync.Mutex
	rng        *rand.Rand
}

// Init empties the set, bounds every delay by maxLatency and seeds the
// draws of Probability and Latency.
func (s *Set) Init(seed int64, maxLatency time.Duration) {
	s.maxLatency = maxLatency
	s.rng = rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	s.Reset()
}

// Empty reports whether the set has no rule.
func (s *Set) Empty() bool { return len(*s.rules.Load()) == 0 }

// MaxLatency is the bound of every delay.
func (s *Set) MaxLatency() time.Duration { return s.maxLatency }

// Add adds a validated rule after the others and returns its id ("fN"
// when it has none).
func (s *Set) Add(f Fault) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.rules.Load()
	if f.ID == "" {
		s.seq++
		f.ID = "f" + strconv.FormatUint(s.seq, 10)
	}
	for _, r := range old {
		if r.f.ID == f.ID {
			return "", fmt.Errorf("vkmock: fault id %q already exists", f.ID)
		}
	}
	f.Fired = 0
	rules := make([]*rule, len(old), len(old)+1)
	copy(rules, old)
	rules = append(rules, &rule{f: f})
	s.rules.Store(&rules)
	return f.ID, nil
}

// List returns the rules in order, with the times each has fired.
func (s *Set) List() []Fault {
	rules := *s.rules.Load()
	out := make([]Fault, 0, len(rules))
	for _, r := range rules {
		f := r.f.Clone() // so that callers cannot change a rule in place
		f.Fired = r.fired.Load()
		out = append(out, f)
	}
	return out
}

// Wait waits until the rule with the id has fired n times in all. It
// returns ctx's error if ctx ends first, and an error at once if no rule
// has the id.
func (s *Set) Wait(ctx context.Context, id string, n int64) error {
	var found *rule
	for _, r := range *s.rules.Load() {
		if r.f.ID == id {
			found = r
		}
	}
	if found == nil {
		return fmt.Errorf("vkmock: no fault rule %q", id)
	}
	for {
		ch := found.firedChan() // before the count, so that no firing is missed
		if found.fired.Load() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Remove removes the rule with the id; it reports whether it existed.
func (s *Set) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.rules.Load()
	rules := make([]*rule, 0, len(old))
	found := false
	for _, r := range old {
		if r.f.ID == id {
			found = true
			continue
		}
		rules = append(rules, r)
	}
	s.rules.Store(&rules)
	return found
}

// Clear removes every rule (the ids go on from the last one).
func (s *Set) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	empty := []*rule{}
	s.rules.Store(&empty)
}

// Reset removes every rule and restarts the ids at f1.
func (s *Set) Reset() {
	s.Clear()
	s.mu.Lock()
	s.seq = 0
	s.mu.Unlock()
}
