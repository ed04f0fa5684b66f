package vkmock

import (
	"context"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

// Fault is a rule that makes matching requests fail or slow down: it
// matches by Method (a glob), Token and Params, fires with Probability
// while Times allows, and then delays, answers an HTTP status, resets,
// answers a VK error or truncates the answer. Rules are tried in the
// order they were added; docs/vkmock-design.md ("Fault rules") has the
// whole semantics.
type Fault = faults.Fault

// Latency is a distribution of delays, in milliseconds (see Fault).
type Latency = faults.Latency

// The phases of a fault rule.
const (
	phaseBefore = faults.PhaseBefore
	phaseAfter  = faults.PhaseAfter
)

// validateFault checks a rule against the server's bounds and schema.
func (s *Server) validateFault(f Fault) (Fault, error) {
	f, err := faults.Validate(f, s.timeouts.maxFaultLatency(), s.knownFaultCode)
	if err == nil && faults.IsStreamingMethod(f.Method) {
		return validateStreamingFault(f)
	}
	return f, err
}

// knownFaultCode reports whether code is global or listed by a method the
// glob matches.
func (s *Server) knownFaultCode(code vkerr.Code, glob string) bool {
	if s.schema.Global(code) {
		return true
	}
	for _, m := range s.schema.Methods() {
		if m.Lists(code) && faults.MatchGlob(glob, m.Name()) {
			return true
		}
	}
	return false
}

// faultRequest is what the fault rules match of a request; m is nil for
// an endpoint that is not a method (Long Poll, uploads).
func (s *Server) faultRequest(q *vkRequest, kind TokenKind, m *apiMethod) *faults.Request {
	fq := &faults.Request{
		Method: q.Name, Token: q.Token, HasToken: q.HasToken, Kind: kind, Params: q,
		CaptchaSolved: q.Captcha == answerFresh, Confirmed: q.Flag("confirm"),
		Global: s.schema.GlobalCodes(),
	}
	if m != nil {
		fq.Listed = m.ListedCodes()
	}
	return fq
}

// matchFault returns the first rule of the phase that matches and fires;
// errorOnly keeps to rules whose effect is an error (calls in execute).
func (s *Server) matchFault(q *vkRequest, kind TokenKind, m *apiMethod, phase string, errorOnly bool) *Fault {
	if s.faults.Empty() {
		return nil
	}
	return s.faults.Match(s.faultRequest(q, kind, m), phase, errorOnly)
}

// matchFaults applies the rules of a phase: delays add up, the first
// rule with an answer wins.
func (s *Server) matchFaults(q *vkRequest, kind TokenKind, m *apiMethod, phase string) faults.Hit {
	if s.faults.Empty() {
		return faults.Hit{}
	}
	return s.faults.MatchAll(s.faultRequest(q, kind, m), phase)
}

// delay returns the latency of a rule.
func (s *Server) delay(f *Fault) time.Duration { return s.faults.Delay(f) }

// Add adds a rule after the others and returns its id.
func (ctl FaultControl) Add(f Fault) (string, error) {
	f, err := ctl.s.validateFault(f)
	if err != nil {
		return "", err
	}
	return ctl.s.faults.Add(f)
}

// List returns the rules in order, with the times each has fired.
func (ctl FaultControl) List() []Fault { return ctl.s.faults.List() }

// Wait waits until the rule with the id has fired n times in all, so
// that a test can act once a request is inside its fault (a delay, say),
// without polling. It returns ctx's error if ctx ends first, and an error
// at once if no rule has the id.
func (ctl FaultControl) Wait(ctx context.Context, id string, n int64) error {
	return ctl.s.faults.Wait(ctx, id, n)
}

// Remove removes the rule with the id; it reports whether it existed.
func (ctl FaultControl) Remove(id string) bool { return ctl.s.faults.Remove(id) }

// Clear removes every rule.
func (ctl FaultControl) Clear() { ctl.s.faults.Clear() }
