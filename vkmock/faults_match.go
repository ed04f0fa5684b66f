package vkmock

import (
	"context"
	"math"
	"path"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// Matching and applying fault rules: which rules fire for a request, their
// delays, and the random draws of Probability and Latency.

// matchFault returns the first rule of the phase that matches and fires;
// errorOnly keeps to rules whose effect is an error (inner calls of
// execute).
func (s *Server) matchFault(q *vkRequest, kind TokenKind, m *apiMethod, phase string, errorOnly bool) *Fault {
	for _, r := range *s.faults.Load() {
		if s.ruleMatches(&r.f, q, kind, m, phase, errorOnly) && s.fires(r) {
			return &r.f
		}
	}
	return nil
}

// faultHit is what the rules of a phase do to a request: the delays of
// the latency-only rules that fired, and the first rule with an answer
// (status, reset, error, truncate), nil when none fired.
type faultHit struct {
	delays []*Fault
	answer *Fault
}

func (h faultHit) fired() bool { return h.answer != nil || len(h.delays) > 0 }

// ids lists the rules that fired, in order, joined with commas.
func (h faultHit) ids() string {
	ids := make([]string, 0, len(h.delays)+1)
	for _, f := range h.delays {
		ids = append(ids, f.ID)
	}
	if h.answer != nil {
		ids = append(ids, h.answer.ID)
	}
	return strings.Join(ids, ",")
}

// latencyOnly reports whether a rule only delays the answer.
func (f *Fault) latencyOnly() bool { return f.Error == nil && f.HTTPStatus == 0 && f.Effect == "" }

// matchFaults applies the rules of a phase in order: latency composes (a
// rule that only delays does not hide the rules after it), the first rule
// with an answer wins.
func (s *Server) matchFaults(q *vkRequest, kind TokenKind, m *apiMethod, phase string) faultHit {
	var hit faultHit
	for _, r := range *s.faults.Load() {
		if !s.ruleMatches(&r.f, q, kind, m, phase, false) || !s.fires(r) {
			continue
		}
		if r.f.latencyOnly() {
			hit.delays = append(hit.delays, &r.f)
			continue
		}
		hit.answer = &r.f
		break
	}
	return hit
}

// fires draws the rule's probability and claims one of its Times.
func (s *Server) fires(r *faultRule) bool {
	f := &r.f
	if f.Probability > 0 && f.Probability < 1 && s.randFloat() >= f.Probability {
		return false
	}
	return r.claim()
}

// ruleMatches reports whether a rule of the phase applies to the request.
func (s *Server) ruleMatches(f *Fault, q *vkRequest, kind TokenKind, m *apiMethod, phase string, errorOnly bool) bool {
	if f.Phase != phase || !matchGlob(f.Method, q.name) {
		return false
	}
	if errorOnly && (f.Error == nil || f.HTTPStatus != 0 || f.Effect == "reset") {
		return false
	}
	if f.Error != nil && f.Error.Code == vkerr.Captcha && q.captcha == answerFresh {
		// The request answers a captcha: the rule's captcha is solved.
		return false
	}
	if f.Error != nil && f.Error.Code == vkerr.NeedConfirmation && q.flag("confirm") {
		// The request gives the confirmation the rule asks for.
		return false
	}
	if f.Token != "" {
		switch {
		case f.Token == "none":
			if q.hasToken {
				return false
			}
		case f.Token == kind.String() && kind != vkerr.KindUnknown:
		case q.hasToken && f.Token == q.token:
		default:
			return false
		}
	}
	if !matchParams(f.Params, q) {
		return false
	}
	if f.Error != nil && !s.schema.global[f.Error.Code] && (m == nil || !m.errors[f.Error.Code]) {
		// The method may not return this error.
		return false
	}
	return true
}

func matchParams(want map[string]string, q *vkRequest) bool {
	for k, pat := range want {
		v, ok := q.get(k)
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

// delay returns the latency of a fault.
func (s *Server) delay(f *Fault) time.Duration {
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
	most := s.timeouts.maxFaultLatency()
	if ms >= float64(most/time.Millisecond) {
		return most
	}
	return max(time.Duration(ms*float64(time.Millisecond)), 0)
}

// sleep waits for d or until ctx is done; it reports whether it waited
// the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) randFloat() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Server) randNorm() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.NormFloat64()
}

func (s *Server) randExp() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.ExpFloat64()
}
