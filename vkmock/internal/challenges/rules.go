package challenges

import (
	"errors"
	"fmt"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Rules are the stateful rules of the checks 11 to 14 of the request
// pipeline: captcha after a number of similar actions, confirmation,
// flood control and daily quotas. They are set as a whole (Room.Set).
type Rules struct {
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

// Validate checks the rules: a method glob each, windows within a year,
// thresholds and quotas in range, a known captcha flow.
func (c Rules) Validate() error {
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

func (c Rules) clone() Rules {
	return Rules{
		Captcha: append([]CaptchaRule(nil), c.Captcha...),
		Confirm: append([]ConfirmRule(nil), c.Confirm...),
		Flood:   append([]FloodRule(nil), c.Flood...),
		Quota:   append([]QuotaRule(nil), c.Quota...),
	}
}

// Set replaces the challenge rules and forgets their counts.
func (r *Room) Set(c Rules) error {
	if err := c.Validate(); err != nil {
		return err
	}
	r.rules.set(c.clone())
	return nil
}

// Rules returns the challenge rules.
func (r *Room) Rules() Rules {
	r.rules.mu.Lock()
	defer r.rules.mu.Unlock()
	return r.rules.rules.clone()
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

// ruleState holds the rules and their counts.
type ruleState struct {
	mu     sync.Mutex
	rules  Rules
	active atomic.Bool // any rule at all: calls skip the lock when none
	counts map[countKey][]int64
	flood  map[floodKey]*floodEntry
	quota  map[quotaKey]int
}

func (c *ruleState) set(rules Rules) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rules = rules
	c.active.Store(len(rules.Captcha)+len(rules.Confirm)+len(rules.Flood)+len(rules.Quota) > 0)
	c.clearCountsLocked()
}

func (c *ruleState) clearCountsLocked() {
	c.counts = map[countKey][]int64{}
	c.flood = map[floodKey]*floodEntry{}
	c.quota = map[quotaKey]int{}
}
