// Package challenges is vkmock's room of the checks VK puts in a caller's
// way: captchas (error 14, the legacy and the VK ID flow, the picture at
// /captcha.php, the page at /not_robot_captcha), validations (17 and
// 3300-3304, the page at /validate), confirmations (24), flood control
// (9) and daily quotas (29), the rules that raise them after a number of
// calls, and the challenges raised on a token through the control API.
// The token store stays in the façade: the room reaches it through
// Tokens.
package challenges

import (
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Tokens is what the room needs of the mock's token store.
type Tokens interface {
	// Exists reports whether the mock knows token.
	Exists(token string) bool
	// Reissue makes a new token with the kind, owner, app and scopes of
	// token, as a completed validation (17) does, and returns it; it fails
	// when token is gone or the store is full.
	Reissue(token string) (core.Token, error)
}

// Deps is what the room needs from the rest of the mock; every field
// is needed.
type Deps struct {
	Clock    *core.Clock   // the mock's clock: rule windows, quota days, captcha_ts
	Messages core.Messages // VK's error texts
	// Hash hashes the mock's seed with labels: the captchas' sids, keys,
	// success tokens and pictures, and the validations' sids, follow it.
	Hash func(labels ...string) uint64
	// MaxToken is the longest token the store keeps: a validation keeps
	// no longer one (it could not complete).
	MaxToken int
	Tokens   Tokens
}

// Room holds the challenge rules and their counts, the captchas and
// validations in progress, the pending confirmations and the challenges
// raised on tokens. It is safe for concurrent use; New makes one.
type Room struct {
	clk      *core.Clock
	msgs     core.Messages
	hash     func(labels ...string) uint64
	maxToken int
	tokens   Tokens

	rules    ruleState
	flows    flowState
	confirms confirmations
	tokChal  tokenChallenges
}

// New returns a room with no rules, captchas, validations, confirmations
// or token challenges.
func New(d Deps) *Room {
	r := &Room{clk: d.Clock, msgs: d.Messages, hash: d.Hash, maxToken: d.MaxToken, tokens: d.Tokens}
	r.Reset()
	return r
}

// Reset forgets the rules and their counts, the captchas, validations,
// confirmations and token challenges.
func (r *Room) Reset() {
	r.rules.set(Rules{})
	r.flows.reset()
	r.confirms.reset()
	r.tokChal.reset()
}
