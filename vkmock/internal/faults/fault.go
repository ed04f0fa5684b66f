// Package faults is vkmock's fault rules: what a rule is, its validation,
// the ordered set of rules, and which rules fire for a request (the
// semantics are in docs/vkmock-design.md, "Fault rules").
package faults

import (
	"maps"
	"path"
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
	// value (up to 99) as a failure a client does not know (see vkmock's longpoll.go).
	Failed int `json:"failed,omitempty"`
	// Upload is an upload server's error shape, for rules of upload.photo
	// and upload.doc (see vkmock/internal/uploads).
	Upload string `json:"upload,omitempty"`
	// Streaming, for rules of streaming.rules and streaming.stream, answers
	// that Streaming API error code (see vkmock's streaming.go).
	Streaming int `json:"streaming,omitempty"`
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

// MaxLatency bounds any injected delay.
const MaxLatency = 10 * time.Minute

// Clone returns a copy of f that shares no map or pointer with it.
func (f Fault) Clone() Fault {
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

// MatchGlob reports whether a rule's Method glob matches a method name.
func MatchGlob(pattern, name string) bool {
	if pattern == "*" {
		return true
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// LatencyOnly reports whether a rule only delays the answer.
func (f *Fault) LatencyOnly() bool { return f.Error == nil && f.HTTPStatus == 0 && f.Effect == "" }

// The phases of a rule.
const (
	PhaseBefore = "before"
	PhaseAfter  = "after"
)
