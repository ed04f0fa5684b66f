package vkmock

import (
	"errors"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/challenges"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The challenges room (captcha, validation, confirmation, flood control,
// quotas, the challenges raised on tokens) lives in
// vkmock/internal/challenges; this file makes it, gives it the token
// store, and keeps its types and control reachable from vkmock.

// Challenges are the stateful rules of the checks 11 to 14 (see the
// package documentation): captcha after a number of similar actions
// (Captcha), confirmation (Confirm), flood control (Flood) and daily
// quotas (Quota). They are set as a whole (Challenges().Set, POST
// /__vkmock/challenges; JSON keys captcha, confirm, flood, quota).
type Challenges = challenges.Rules

// CaptchaRule asks for a captcha (14) when a token has made Threshold calls
// of a method matching Method (a glob) in the last WindowMS milliseconds
// (default 60 000); calls refused by a confirmation, flood or quota rule
// are not counted. Solving it lets the call through and starts the count
// afresh, the solved call not counted (so a resend of it, say with
// confirm=1, passes unless Threshold is 0: then every call needs a
// captcha). Flow is "legacy" (captcha_sid and captcha_key; the default)
// or "vkid" (the error also carries redirect_uri and remixstlid; the
// answer is a success_token).
type CaptchaRule = challenges.CaptchaRule

// ConfirmRule makes the methods matching Method (a glob) answer 24 with
// Text as confirmation_text (default "Please confirm this action.") unless
// the request has confirm=1.
type ConfirmRule = challenges.ConfirmRule

// FloodRule answers 9 "Flood control[: Suffix]" when a token has made
// Threshold calls of a method matching Method on the same target in the
// last WindowMS milliseconds (default 60 000), and then to every call on
// that target until CooldownMS (default 60 000) has passed. The target is
// the value of the parameter Target, or of the first of peer_id, user_id,
// user_ids, peer_ids, owner_id, group_id, chat_id, domain the request has
// (none: the method as a whole).
type FloodRule = challenges.FloodRule

// QuotaRule answers 29 once a token has made PerDay calls of a method
// matching Method on the mock's current day (UTC); the count starts afresh
// at midnight of the mock's clock.
type QuotaRule = challenges.QuotaRule

// CaptchaInfo is a captcha the mock issued (internal/core).
type CaptchaInfo = core.CaptchaInfo

// The states of a captcha answer in a request (internal/core).
const (
	answerNone  = core.AnswerNone
	answerFresh = core.AnswerFresh
	answerUsed  = core.AnswerUsed
	answerWrong = core.AnswerWrong
)

// ChallengeCodes returns the errors Challenges().SetToken can raise on a
// token (a new slice each call).
func ChallengeCodes() []vkerr.Code { return challenges.Codes() }

// initChallenges makes the room; the schema and the seed are set.
func (s *Server) initChallenges() {
	s.chal = challenges.New(challenges.Deps{
		Clock:    s.clk,
		Messages: s.msgs(),
		Hash:     func(labels ...string) uint64 { return core.SeedHash(s.seed, labels...) },
		MaxToken: maxStoredToken,
		Tokens:   challengeTokens{s},
	})
}

// challengeTokens gives the room the token store.
type challengeTokens struct{ s *Server }

func (t challengeTokens) Exists(token string) bool {
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	_, ok := t.s.tokens[token]
	return ok
}

func (t challengeTokens) Reissue(token string) (Token, error) {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tokens[token]
	if !ok {
		return Token{}, errors.New("vkmock: the token is gone")
	}
	if len(s.tokens) >= MaxTokens {
		return Token{}, errors.New("vkmock: too many tokens")
	}
	return s.createTokenLocked(Token{Kind: old.Kind, UserID: old.UserID, GroupID: old.GroupID, AppID: old.AppID, Scopes: old.Scopes})
}

// Set replaces the challenge rules and forgets their counts.
func (ctl ChallengeControl) Set(c Challenges) error { return ctl.s.chal.Set(c) }

// Rules returns the challenge rules.
func (ctl ChallengeControl) Rules() Challenges { return ctl.s.chal.Rules() }

// SetToken makes every call with the token answer code (checked
// right after the token's state, check 4): 17 (validation required: the
// error carries redirect_uri, a page of the mock that issues a new token
// and leaves this one needing validation), 3300 to 3304 (the error carries
// redirect_uri, a page of the mock whose completion clears the
// challenge), 3609, 3610 or 3611 (no extra fields). Code 0 clears it.
func (ctl ChallengeControl) SetToken(token string, code vkerr.Code) error {
	return ctl.s.chal.SetToken(token, code)
}

// Token returns the challenge raised on a token, 0 for none.
func (ctl ChallengeControl) Token(token string) vkerr.Code { return ctl.s.chal.Token(token) }

// Captcha returns a captcha the mock issued, with its right key.
func (ctl ChallengeControl) Captcha(sid string) (CaptchaInfo, bool) {
	return ctl.s.chal.Captcha(sid)
}

// CompleteValidation completes the check behind a redirect_uri of error 17
// (or 3300-3304) as a person who passes it would, and returns the new
// token (empty for 3300-3304, whose completion clears the token's
// challenge instead).
func (ctl ChallengeControl) CompleteValidation(redirectURI string) (string, error) {
	return ctl.s.chal.CompleteValidation(redirectURI)
}
