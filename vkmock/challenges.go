package vkmock

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

// Challenges are the stateful rules of the checks 11 to 14 (see the
// package documentation): captcha after a number of similar actions,
// confirmation, flood control and daily quotas. They are set as a whole
// (Challenges().Set, POST /__vkmock/challenges).
type Challenges struct {
	Captcha []CaptchaRule `json:"captcha,omitempty"`
	Confirm []ConfirmRule `json:"confirm,omitempty"`
	Flood   []FloodRule   `json:"flood,omitempty"`
	Quota   []QuotaRule   `json:"quota,omitempty"`
}

// CaptchaRule asks for a captcha (14) when a token has made Threshold calls
// of a method matching Method (a glob) in the last WindowMS milliseconds
// (default 60 000); calls refused by a confirmation, flood or quota rule
// are not counted. Solving it lets the call through and starts the count
// afresh, the solved call not counted (so a resend of it, say with
// confirm=1, passes unless Threshold is 0: then every call needs a
// captcha).
type CaptchaRule struct {
	Method    string `json:"method"`
	Threshold int    `json:"threshold"`
	WindowMS  int64  `json:"window_ms,omitempty"`
	// Flow is "legacy" (captcha_sid and captcha_key; the default) or "vkid"
	// (the error also carries redirect_uri and remixstlid; the answer is a
	// success_token).
	Flow string `json:"flow,omitempty"`
}

// ConfirmRule makes the methods matching Method (a glob) answer 24 with
// Text as confirmation_text (default "Please confirm this action.") unless
// the request has confirm=1.
type ConfirmRule struct {
	Method string `json:"method"`
	Text   string `json:"text,omitempty"`
}

// FloodRule answers 9 "Flood control[: Suffix]" when a token has made
// Threshold calls of a method matching Method on the same target in the
// last WindowMS milliseconds (default 60 000), and then to every call on
// that target until CooldownMS (default 60 000) has passed. The target is
// the value of the parameter Target, or of the first of peer_id, user_id,
// user_ids, peer_ids, owner_id, group_id, chat_id, domain the request has
// (none: the method as a whole).
type FloodRule struct {
	Method     string `json:"method"`
	Threshold  int    `json:"threshold"`
	WindowMS   int64  `json:"window_ms,omitempty"`
	CooldownMS int64  `json:"cooldown_ms,omitempty"`
	Target     string `json:"target,omitempty"`
	Suffix     string `json:"suffix,omitempty"`
}

// QuotaRule answers 29 once a token has made PerDay calls of a method
// matching Method on the mock's current day (UTC); the count starts afresh
// at midnight of the mock's clock.
type QuotaRule struct {
	Method string `json:"method"`
	PerDay int    `json:"per_day"`
}

const defaultWindow = 60 * time.Second

// maxWindowMS bounds the windows and cooldowns of the rules: a year.
const maxWindowMS = 365 * 24 * 60 * 60 * 1000

func validateChallenges(c Challenges) error {
	window := func(field string, ms int64) error {
		if ms < 0 || ms > maxWindowMS {
			return core.FieldErr(field, "must be between 0 and %d", int64(maxWindowMS))
		}
		return nil
	}
	for _, r := range c.Captcha {
		if err := window("captcha.window_ms", r.WindowMS); err != nil {
			return err
		}
	}
	for _, r := range c.Flood {
		if err := window("flood.window_ms", r.WindowMS); err != nil {
			return err
		}
		if err := window("flood.cooldown_ms", r.CooldownMS); err != nil {
			return err
		}
	}
	glob := func(p string) error {
		if p == "" {
			return errors.New("vkmock: challenge rule needs a method")
		}
		_, err := path.Match(p, "")
		return err
	}
	for _, r := range c.Captcha {
		if err := glob(r.Method); err != nil {
			return err
		}
		if r.Threshold < 0 || r.WindowMS < 0 {
			return errors.New("vkmock: captcha rule threshold and window_ms must not be negative")
		}
		if r.Flow != "" && r.Flow != "legacy" && r.Flow != "vkid" {
			return fmt.Errorf("vkmock: captcha flow %q: want legacy or vkid", r.Flow)
		}
	}
	for _, r := range c.Confirm {
		if err := glob(r.Method); err != nil {
			return err
		}
	}
	for _, r := range c.Flood {
		if err := glob(r.Method); err != nil {
			return err
		}
		if r.Threshold <= 0 || r.WindowMS < 0 || r.CooldownMS < 0 {
			return errors.New("vkmock: flood rule needs a positive threshold, and window_ms and cooldown_ms not negative")
		}
	}
	for _, r := range c.Quota {
		if err := glob(r.Method); err != nil {
			return err
		}
		if r.PerDay <= 0 {
			return errors.New("vkmock: quota rule needs a positive per_day")
		}
	}
	return nil
}

// Set replaces the challenge rules and forgets their counts.
func (ctl ChallengeControl) Set(c Challenges) error {
	s := ctl.s
	if err := validateChallenges(c); err != nil {
		return err
	}
	c = cloneChallenges(c)
	s.chal.mu.Lock()
	s.chal.rules = c
	s.chal.active.Store(len(c.Captcha)+len(c.Confirm)+len(c.Flood)+len(c.Quota) > 0)
	s.chal.clearCountsLocked()
	s.chal.mu.Unlock()
	return nil
}

// Rules returns the challenge rules.
func (ctl ChallengeControl) Rules() Challenges {
	s := ctl.s
	s.chal.mu.Lock()
	defer s.chal.mu.Unlock()
	return cloneChallenges(s.chal.rules)
}

func cloneChallenges(c Challenges) Challenges {
	return Challenges{
		Captcha: append([]CaptchaRule(nil), c.Captcha...),
		Confirm: append([]ConfirmRule(nil), c.Confirm...),
		Flood:   append([]FloodRule(nil), c.Flood...),
		Quota:   append([]QuotaRule(nil), c.Quota...),
	}
}

type countKey struct {
	token, method string
	rule          int
}

type floodKey struct {
	token, method, target string
	rule                  int
}

type quotaKey struct {
	token, method string
	rule          int
	day           int64
}

type floodEntry struct {
	hits  []int64
	until int64 // cooldown end, unix ns
}

// challengeState holds the rules and their counts.
type challengeState struct {
	mu     sync.Mutex
	rules  Challenges
	active atomic.Bool
	counts map[countKey][]int64
	flood  map[floodKey]*floodEntry
	quota  map[quotaKey]int
}

func (c *challengeState) clearCountsLocked() {
	c.counts = map[countKey][]int64{}
	c.flood = map[floodKey]*floodEntry{}
	c.quota = map[quotaKey]int{}
}

// maxChallengeKeys bounds the counters: past it, they start afresh.
const maxChallengeKeys = 200000

// recent keeps the hits inside the window.
func recent(hits []int64, now int64, window time.Duration) []int64 {
	i := 0
	for i < len(hits) && now-hits[i] >= int64(window) {
		i++
	}
	return hits[i:]
}

func windowOf(ms int64) time.Duration {
	if ms <= 0 {
		return defaultWindow
	}
	return time.Duration(ms) * time.Millisecond
}

var floodTargets = []string{"peer_id", "user_id", "user_ids", "peer_ids", "owner_id", "group_id", "chat_id", "domain"}

// checkChallenges applies the challenge rules to a call that passed the
// other checks: captcha (unless solved is set, or inner, for the calls of
// execute), confirmation, flood control and quotas, in that order. A call
// that passes is counted.
func (s *Server) checkChallenges(q *vkRequest, solved, inner bool) *vkerr.Error {
	if !s.chal.active.Load() {
		return nil
	}
	now := s.now()
	ns := now.UnixNano()
	c := &s.chal
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts)+len(c.flood)+len(c.quota) > maxChallengeKeys {
		c.clearCountsLocked()
	}
	tok := storedKey(q.Token)
	// The captcha rules count a call only once it has passed every rule.
	var counted []countKey
	if !inner {
		for i, r := range c.rules.Captcha {
			if !faults.MatchGlob(r.Method, q.Name) {
				continue
			}
			k := countKey{tok, q.Name, i}
			if solved {
				// The count starts afresh after the solved call.
				delete(c.counts, k)
				continue
			}
			hits := recent(c.counts[k], ns, windowOf(r.WindowMS))
			if len(hits) >= r.Threshold {
				c.counts[k] = hits
				// flows.mu is never held while taking chal.mu.
				return s.newCaptchaError(q, r.Flow, 1, false)
			}
			c.counts[k] = hits
			counted = append(counted, k)
		}
	}
	for _, r := range c.rules.Confirm {
		if faults.MatchGlob(r.Method, q.Name) && !q.Flag("confirm") {
			text := r.Text
			if text == "" {
				text = defaultConfirmation
			}
			return &vkerr.Error{Code: vkerr.NeedConfirmation, Message: s.message(vkerr.NeedConfirmation), ConfirmationText: text}
		}
	}
	for i, r := range c.rules.Flood {
		if !faults.MatchGlob(r.Method, q.Name) {
			continue
		}
		target := ""
		if r.Target != "" {
			target, _ = q.Get(r.Target)
		} else {
			for _, p := range floodTargets {
				if v, ok := q.Get(p); ok && v != "" {
					target = p + "=" + v
					break
				}
			}
		}
		k := floodKey{tok, q.Name, storedKey(target), i}
		f := c.flood[k]
		if f == nil {
			f = &floodEntry{}
			c.flood[k] = f
		}
		msg := s.message(vkerr.Flood)
		if r.Suffix != "" {
			msg += ": " + r.Suffix
		}
		if ns < f.until {
			return &vkerr.Error{Code: vkerr.Flood, Message: msg}
		}
		f.hits = recent(f.hits, ns, windowOf(r.WindowMS))
		if len(f.hits) >= r.Threshold {
			f.until = ns + int64(windowOf(r.CooldownMS))
			f.hits = nil
			return &vkerr.Error{Code: vkerr.Flood, Message: msg}
		}
		f.hits = append(f.hits, ns)
	}
	day := now.UTC().Unix() / 86400
	for i, r := range c.rules.Quota {
		if !faults.MatchGlob(r.Method, q.Name) {
			continue
		}
		k := quotaKey{tok, q.Name, i, day}
		if c.quota[k] >= r.PerDay {
			return &vkerr.Error{Code: vkerr.RateLimit, Message: s.message(vkerr.RateLimit)}
		}
		c.quota[k]++
	}
	for _, k := range counted {
		c.counts[k] = append(c.counts[k], ns)
	}
	return nil
}

const defaultConfirmation = "Please confirm this action."

// Token challenges: errors raised on a token through the control API.

// ChallengeCodes returns the errors Challenges().SetToken can raise on a
// token (a new slice each call).
func ChallengeCodes() []vkerr.Code { return slices.Clone(challengeCodes) }

var challengeCodes = []vkerr.Code{
	vkerr.AuthValidation, vkerr.Recaptcha, vkerr.PhoneValidationNeed, vkerr.PasswordValidationNeed,
	vkerr.OtpValidationNeed, vkerr.EmailConfirmationNeed, vkerr.TokenExtensionRequired,
	vkerr.UserDeactivated, vkerr.UserServiceDeactivated,
}

// SetToken makes every call with the token answer code (checked
// right after the token's state, check 4): 17 (validation required: the
// error carries redirect_uri, a page of the mock that issues a new token
// and leaves this one needing validation), 3300 to 3304 (the error carries
// redirect_uri, a page of the mock whose completion clears the
// challenge), 3609, 3610 or 3611 (no extra fields). Code 0 clears it.
func (ctl ChallengeControl) SetToken(token string, code vkerr.Code) error {
	s := ctl.s
	if code != 0 {
		ok := false
		for _, c := range challengeCodes {
			ok = ok || c == code
		}
		if !ok {
			return fmt.Errorf("vkmock: token challenge %d: want one of 17, 3300-3304, 3609-3611 or 0", code)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[token]; !ok {
		return errors.New("vkmock: no such token")
	}
	if code == 0 {
		delete(s.tokenChal, token)
	} else {
		s.tokenChal[token] = code
	}
	return nil
}

// Token returns the challenge raised on a token, 0 for none.
func (ctl ChallengeControl) Token(token string) vkerr.Code {
	s := ctl.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tokenChal[token]
}

// tokenChallengeError is the error of a token's challenge.
func (s *Server) tokenChallengeError(code vkerr.Code, q *vkRequest) *vkerr.Error {
	e := &vkerr.Error{Code: code, Message: s.message(code)}
	switch code {
	case vkerr.AuthValidation:
		e.Message += ": please open redirect_uri in browser"
		e.RedirectURI = s.newValidation(q, code)
	case vkerr.Recaptcha, vkerr.PhoneValidationNeed, vkerr.PasswordValidationNeed, vkerr.OtpValidationNeed, vkerr.EmailConfirmationNeed:
		e.RedirectURI = s.newValidation(q, code)
	}
	return e
}

// validation is a pending check behind a redirect_uri.
type validation struct {
	token string
	code  vkerr.Code
	done  bool
}

// newValidation registers a check of the request's token and returns the
// URL of its page.
func (s *Server) newValidation(q *vkRequest, code vkerr.Code) string {
	s.flows.mu.Lock()
	defer s.flows.mu.Unlock()
	s.flows.seq++
	sid := strconv.FormatUint(seedHash(s.seed, "validation", strconv.FormatUint(s.flows.seq, 10))%900_000_000_000+100_000_000_000, 10)
	// A token this long is unknown: the validation cannot complete.
	tok := ""
	if len(q.Token) <= maxStoredToken {
		tok = strings.Clone(q.Token)
	}
	s.flows.validations[sid] = &validation{token: tok, code: code}
	s.flows.vorder = append(s.flows.vorder, sid)
	s.flows.trimLocked()
	return q.Base() + "/validate?sid=" + sid
}
