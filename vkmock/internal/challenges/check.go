package challenges

import (
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

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

// Check applies the challenge rules to a call that passed the other
// checks: captcha (unless solved is set, or inner, for the calls of
// execute), confirmation, flood control and quotas, in that order. A call
// that passes is counted.
func (r *Room) Check(q *core.Request, solved, inner bool) *vkerr.Error {
	c := &r.rules
	if !c.active.Load() {
		return nil
	}
	now := r.clk.Now()
	ns := now.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts)+len(c.flood)+len(c.quota) > maxChallengeKeys {
		c.clearCountsLocked()
	}
	tok := core.StoredKey(q.Token)
	// The captcha rules count a call only once it has passed every rule.
	var counted []countKey
	if !inner {
		for i, rule := range c.rules.Captcha {
			if !faults.MatchGlob(rule.Method, q.Name) {
				continue
			}
			k := countKey{tok, q.Name, i}
			if solved {
				// The count starts afresh after the solved call.
				delete(c.counts, k)
				continue
			}
			hits := recent(c.counts[k], ns, windowOf(rule.WindowMS))
			c.counts[k] = hits
			if len(hits) >= rule.Threshold {
				// flows.mu is never held while taking rules.mu.
				return r.NewCaptchaError(q, rule.Flow, 1, false)
			}
			counted = append(counted, k)
		}
	}
	for _, rule := range c.rules.Confirm {
		if faults.MatchGlob(rule.Method, q.Name) && !q.Flag("confirm") {
			text := rule.Text
			if text == "" {
				text = DefaultConfirmation
			}
			return &vkerr.Error{Code: vkerr.NeedConfirmation, Message: r.msgs.Of(vkerr.NeedConfirmation), ConfirmationText: text}
		}
	}
	for i, rule := range c.rules.Flood {
		if !faults.MatchGlob(rule.Method, q.Name) {
			continue
		}
		if e := r.floodLocked(q, tok, i, rule, ns); e != nil {
			return e
		}
	}
	day := now.UTC().Unix() / 86400
	for i, rule := range c.rules.Quota {
		if !faults.MatchGlob(rule.Method, q.Name) {
			continue
		}
		k := quotaKey{tok, q.Name, i, day}
		if c.quota[k] >= rule.PerDay {
			return &vkerr.Error{Code: vkerr.RateLimit, Message: r.msgs.Of(vkerr.RateLimit)}
		}
		c.quota[k]++
	}
	for _, k := range counted {
		c.counts[k] = append(c.counts[k], ns)
	}
	return nil
}

// floodLocked applies flood rule i to a call at ns: 9 while the target
// cools down or once the window holds Threshold calls; else the call is
// counted.
func (r *Room) floodLocked(q *core.Request, tok string, i int, rule FloodRule, ns int64) *vkerr.Error {
	c := &r.rules
	target := ""
	if rule.Target != "" {
		target, _ = q.Get(rule.Target)
	} else {
		for _, p := range floodTargets {
			if v, ok := q.Get(p); ok && v != "" {
				target = p + "=" + v
				break
			}
		}
	}
	k := floodKey{tok, q.Name, core.StoredKey(target), i}
	f := c.flood[k]
	if f == nil {
		f = &floodEntry{}
		c.flood[k] = f
	}
	msg := r.msgs.Of(vkerr.Flood)
	if rule.Suffix != "" {
		msg += ": " + rule.Suffix
	}
	if ns < f.until {
		return &vkerr.Error{Code: vkerr.Flood, Message: msg}
	}
	f.hits = recent(f.hits, ns, windowOf(rule.WindowMS))
	if len(f.hits) >= rule.Threshold {
		f.until = ns + int64(windowOf(rule.CooldownMS))
		f.hits = nil
		return &vkerr.Error{Code: vkerr.Flood, Message: msg}
	}
	f.hits = append(f.hits, ns)
	return nil
}
