package vkmock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
)

// Fault is a rule that makes matching requests fail or slow down: it
// matches by Method (a glob), Token and Params, fires with Probability
// while Times allows, and then delays, answers an HTTP status, resets,
// answers a VK error or truncates the answer. Rules are tried in the
// order they were added; docs/vkmock-design.md ("Fault rules") has the
// whole semantics (composition of latencies, phases, 14/17/24, Lenient).
type Fault struct {
	ID          string            `json:"id,omitempty"`
	Method      string            `json:"method,omitempty"`
	Token       string            `json:"token,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Probability float64           `json:"probability,omitempty"`
	Times       int64             `json:"times,omitempty"`
	// Error is the VK error to answer. Only error_code is needed: error_msg
	// defaults to the schema's message, and Suffix, when set, is added
	// after ": ". Errors 14, 17 and 24 get made-up captcha_sid and
	// captcha_img, redirect_uri or confirmation_text when they lack them.
	// A non-global error applies only to methods whose schema lists it.
	Error      *vkerr.Error `json:"error,omitempty"`
	Suffix     string       `json:"suffix,omitempty"`
	HTTPStatus int          `json:"http_status,omitempty"`
	LatencyMS  float64      `json:"latency_ms,omitempty"`
	Latency    *Latency     `json:"latency,omitempty"`
	Effect     string       `json:"effect,omitempty"`
	// Phase is "before" (default) or "after".
	Phase string `json:"phase,omitempty"`
	// Failed, for the Long Poll endpoints (method "longpoll.bots"), answers
	// {"failed":N} instead of the normal answer: 1 to 4 as VK's, any other
	// value (up to 99) as a failure a client does not know (see longpoll.go).
	Failed int `json:"failed,omitempty"`
	// Upload is an upload server's error shape, for rules of upload.photo
	// and upload.doc (see serveUpload).
	Upload string `json:"upload,omitempty"`
	// Lenient makes the captcha of an error 14 take any key, and the
	// confirmation of an error 24 need no confirm=1 (see above). By
	// default both are as strict as VK's.
	Lenient bool `json:"lenient,omitempty"`
	// StrictCaptcha is the default now; it is kept so that older rules
	// and configuration files still load, and it overrides Lenient.
	StrictCaptcha bool `json:"strict_captcha,omitempty"`
	// Fired counts the times the rule fired (read-only).
	Fired int64 `json:"fired"`
}

// Latency is a distribution of delays, in milliseconds.
type Latency struct {
	// Dist is "fixed" (MeanMS), "uniform" (MinMS to MaxMS), "normal"
	// (MeanMS, StddevMS, never below MinMS) or "exponential" (MeanMS,
	// shifted by MinMS). Every draw is capped at MaxMS when it is set.
	Dist     string  `json:"dist"`
	MinMS    float64 `json:"min_ms,omitempty"`
	MaxMS    float64 `json:"max_ms,omitempty"`
	MeanMS   float64 `json:"mean_ms,omitempty"`
	StddevMS float64 `json:"stddev_ms,omitempty"`
}

// maxLatency bounds any injected delay.
const maxLatency = 10 * time.Minute

// faultRule is a Fault ready to match.
type faultRule struct {
	f     Fault
	fired atomic.Int64

	mu     sync.Mutex
	notify chan struct{} // closed and replaced at each firing; nil until waited on
}

// claim takes one firing of the rule if Times allows.
func (r *faultRule) claim() bool {
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

// wake tells the waiters of Faults().Wait that the rule fired.
func (r *faultRule) wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notify != nil {
		close(r.notify)
		r.notify = nil
	}
}

// firedChan is closed at the rule's next firing.
func (r *faultRule) firedChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notify == nil {
		r.notify = make(chan struct{})
	}
	return r.notify
}

// clone returns a copy of f that shares no map or pointer with it.
func (f Fault) clone() Fault {
	if f.Error != nil {
		e := *f.Error
		e.Extra = maps.Clone(f.Error.Extra)
		f.Error = &e
	}
	f.Params = maps.Clone(f.Params)
	if f.Latency != nil {
		l := *f.Latency
		f.Latency = &l
	}
	return f
}

// validateFault checks a rule and fills its defaults.
func (s *Server) validateFault(f Fault) (Fault, error) {
	if f.Method == "" {
		f.Method = "*"
	}
	f = f.clone()
	if _, err := path.Match(f.Method, ""); err != nil {
		return f, fmt.Errorf("vkmock: fault method %q: %w", f.Method, err)
	}
	for k, v := range f.Params {
		if _, err := path.Match(v, ""); err != nil {
			return f, fmt.Errorf("vkmock: fault param %s %q: %w", k, v, err)
		}
	}
	if !(f.Probability >= 0 && f.Probability <= 1) {
		return f, fieldErr("probability", "must be between 0 and 1")
	}
	if f.Times < 0 {
		return f, fieldErr("times", "must be between 0 and %d", int64(math.MaxInt64))
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599) {
		return f, fieldErr("http_status", "must be 0 or between 100 and 599")
	}
	mostMS := float64(s.timeouts.maxFaultLatency() / time.Millisecond)
	if !(f.LatencyMS >= 0 && f.LatencyMS <= mostMS) { // NaN fails both
		return f, fieldErr("latency_ms", "must be between 0 and %v", mostMS)
	}
	if l := f.Latency; l != nil {
		switch l.Dist {
		case "fixed", "uniform", "normal", "exponential":
		default:
			return f, fmt.Errorf("vkmock: fault latency dist %q: want fixed, uniform, normal or exponential", l.Dist)
		}
		for name, v := range map[string]float64{"min_ms": l.MinMS, "max_ms": l.MaxMS, "mean_ms": l.MeanMS, "stddev_ms": l.StddevMS} {
			if !(v >= 0 && v <= mostMS) {
				return f, fieldErr("latency."+name, "must be between 0 and %v", mostMS)
			}
		}
		if l.Dist == "uniform" && l.MaxMS < l.MinMS {
			return f, errors.New("vkmock: fault latency max_ms is below min_ms")
		}
	}
	switch f.Phase {
	case "":
		f.Phase = phaseBefore
	case phaseBefore, phaseAfter:
	default:
		return f, fmt.Errorf("vkmock: fault phase %q: want before or after", f.Phase)
	}
	switch f.Effect {
	case "", "reset", "truncate":
	default:
		return f, fmt.Errorf("vkmock: fault effect %q: want reset or truncate", f.Effect)
	}
	if f.Error != nil {
		if f.Error.Code <= 0 {
			return f, errors.New("vkmock: fault error needs a positive error_code")
		}
		e := *f.Error
		e.Extra = maps.Clone(f.Error.Extra)
		f.Error = &e
		if !s.schema.global[e.Code] {
			// A non-global error needs a method that lists it.
			any := false
			for _, m := range s.schema.ordered {
				if m.errors[e.Code] && matchGlob(f.Method, m.name) {
					any = true
					break
				}
			}
			if !any {
				return f, fmt.Errorf("vkmock: error %d is not global and no method matching %q lists it", e.Code, f.Method)
			}
		}
	}
	if f.Failed < 0 || f.Failed > 99 {
		return f, errors.New("vkmock: fault failed must be between 1 and 99")
	}
	if err := validateUploadFault(&f); err != nil {
		return f, err
	}
	if f.Error == nil && f.HTTPStatus == 0 && f.Effect == "" && f.LatencyMS == 0 && f.Latency == nil && f.Failed == 0 && f.Upload == "" {
		return f, errors.New("vkmock: fault has no effect: set error, http_status, effect, latency, failed or upload")
	}
	return f, nil
}

func matchGlob(pattern, name string) bool {
	if pattern == "*" {
		return true
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// Add adds a rule after the others and returns its id.
func (ctl FaultControl) Add(f Fault) (string, error) {
	s := ctl.s
	f, err := s.validateFault(f)
	if err != nil {
		return "", err
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.addFaultLocked(f)
}

func (s *Server) addFaultLocked(f Fault) (string, error) {
	old := *s.faults.Load()
	if f.ID == "" {
		s.faultSeq++
		f.ID = "f" + strconv.FormatUint(s.faultSeq, 10)
	}
	for _, r := range old {
		if r.f.ID == f.ID {
			return "", fmt.Errorf("vkmock: fault id %q already exists", f.ID)
		}
	}
	f.Fired = 0
	rules := make([]*faultRule, len(old), len(old)+1)
	copy(rules, old)
	rules = append(rules, &faultRule{f: f})
	s.faults.Store(&rules)
	return f.ID, nil
}

// List returns the rules in order, with the times each has fired.
func (ctl FaultControl) List() []Fault {
	s := ctl.s
	rules := *s.faults.Load()
	out := make([]Fault, 0, len(rules))
	for _, r := range rules {
		f := r.f.clone() // so that callers cannot change a rule in place
		f.Fired = r.fired.Load()
		out = append(out, f)
	}
	return out
}

// Wait waits until the rule with the id has fired n times in all, so
// that a test can act once a request is inside its fault (a delay, say),
// without polling. It returns ctx's error if ctx ends first, and an error
// at once if no rule has the id.
func (ctl FaultControl) Wait(ctx context.Context, id string, n int64) error {
	s := ctl.s
	var rule *faultRule
	for _, r := range *s.faults.Load() {
		if r.f.ID == id {
			rule = r
		}
	}
	if rule == nil {
		return fmt.Errorf("vkmock: no fault rule %q", id)
	}
	for {
		ch := rule.firedChan() // before the count, so that no firing is missed
		if rule.fired.Load() >= n {
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
func (ctl FaultControl) Remove(id string) bool {
	s := ctl.s
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	old := *s.faults.Load()
	rules := make([]*faultRule, 0, len(old))
	found := false
	for _, r := range old {
		if r.f.ID == id {
			found = true
			continue
		}
		rules = append(rules, r)
	}
	s.faults.Store(&rules)
	return found
}

// Clear removes every rule.
func (ctl FaultControl) Clear() {
	s := ctl.s
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	empty := []*faultRule{}
	s.faults.Store(&empty)
}

// The phases of a fault rule.
const (
	phaseBefore = "before"
	phaseAfter  = "after"
)
