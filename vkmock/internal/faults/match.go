package faults

import (
	"math"
	"path"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// Match returns the first rule of the phase that matches and fires;
// errorOnly keeps to rules whose effect is an error (inner calls of
// execute).
func (s *Set) Match(q *Request, phase string, errorOnly bool) *Fault {
	for _, r := range *s.rules.Load() {
		if r.f.matches(q, phase, errorOnly) && s.fires(r) {
			return &r.f
		}
	}
	return nil
}

// Hit is what the rules of a phase do to a request: the delays of
// the latency-only rules that fired, and the first rule with an answer
// (status, reset, error, truncate), nil when none fired.
type Hit struct {
	Delays []*Fault
	Answer *Fault
}

// Fired reports whether any rule fired.
func (h Hit) Fired() bool { return h.Answer != nil || len(h.Delays) > 0 }

// IDs lists the rules that fired, in order, joined with commas.
func (h Hit) IDs() string {
	ids := make([]string, 0, len(h.Delays)+1)
	for _, f := range h.Delays {
		ids = append(ids, f.ID)
	}
	if h.Answer != nil {
		ids = append(ids, h.Answer.ID)
	}
	return strings.Join(ids, ",")
}

// MatchAll applies the rules of a phase in order: latency composes (a
// rule that only delays does not hide the rules after it), the first rule
// with an answer wins.
func (s *Set) MatchAll(q *Request, phase string) Hit {
	var hit Hit
	for _, r := range *s.rules.Load() {
		if !r.f.matches(q, phase, false) || !s.fires(r) {
			continue
		}
		if r.f.LatencyOnly() {
			hit.Delays = append(hit.Delays, &r.f)
			continue
		}
		hit.Answer = &r.f
		break
	}
	return hit
}

// fires draws the rule's probability and claims one of its Times.
func (s *Set) fires(r *rule) bool {
	f := &r.f
	if f.Probability > 0 && f.Probability < 1 && s.randFloat() >= f.Probability {
		return false
	}
	return r.claim()
}

// matches reports whether a rule of the phase applies to the request.
func (f *Fault) matches(q *Request, phase string, errorOnly bool) bool {
	if f.Phase != phase || !MatchGlob(f.Method, q.Method) {
		return false
	}
	if errorOnly && (f.Error == nil || f.HTTPStatus != 0 || f.Effect == "reset") {
		return false
	}
	if f.Error != nil && f.Error.Code == vkerr.Captcha && q.CaptchaSolved {
		// The request answers a captcha: the rule's captcha is solved.
		return false
	}
	if f.Error != nil && f.Error.Code == vkerr.NeedConfirmation && q.Confirmed {
		// The request gives the confirmation the rule asks for.
		return false
	}
	if f.Token != "" {
		switch {
		case f.Token == "none":
			if q.HasToken {
				return false
			}
		case f.Token == q.Kind.String() && q.Kind != vkerr.KindUnknown:
		case q.HasToken && f.Token == q.Token:
		default:
			return false
		}
	}
	if !matchParams(f.Params, q.Params) {
		return false
	}
	if f.Error != nil && !q.Global[f.Error.Code] && !q.Listed[f.Error.Code] {
		// The method may not return this error.
		return false
	}
	return true
}

func matchParams(want map[string]string, q Params) bool {
	for k, pat := range want {
		v, ok := q.Get(k)
		if !ok {
			return false
		}
		if pat == "*" {
			continue
		}
		if m, _ := path.Match(pat, v); !m {
			return false
		}
	}
	return true
}

// Delay returns the latency of a rule, a draw of its distribution, at most
// the set's bound.
func (s *Set) Delay(f *Fault) time.Duration {
	ms := f.LatencyMS
	if l := f.Latency; l != nil {
		switch l.Dist {
		case "fixed":
			ms += l.MeanMS
		case "uniform":
			ms += l.MinMS + s.randFloat()*(l.MaxMS-l.MinMS)
		case "normal":
			ms += math.Max(l.MinMS, l.MeanMS+s.randNorm()*l.StddevMS)
		case "exponential":
			ms += l.MinMS + s.randExp()*l.MeanMS
		}
		if l.MaxMS > 0 && ms > l.MaxMS+f.LatencyMS {
			ms = l.MaxMS + f.LatencyMS
		}
	}
	most := s.maxLatency
	if ms >= float64(most/time.Millisecond) {
		return most
	}
	return max(time.Duration(ms*float64(time.Millisecond)), 0)
}

func (s *Set) randFloat() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Set) randNorm() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.NormFloat64()
}

func (s *Set) randExp() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.ExpFloat64()
}

// MatchWhere returns the first rule of the before phase that applies to a
// request with no token to the endpoint q names, passes keep, and fires:
// the Streaming endpoints pick their rules by effect this way.
func (s *Set) MatchWhere(q *Request, keep func(*Fault) bool) *Fault {
	for _, r := range *s.rules.Load() {
		f := &r.f
		if f.Phase != PhaseBefore || !MatchGlob(f.Method, q.Method) || !keep(f) {
			continue
		}
		if (f.Token != "" && f.Token != "none") || !matchParams(f.Params, q.Params) || !s.fires(r) {
			continue
		}
		return f
	}
	return nil
}
