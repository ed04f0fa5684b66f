package challenges

import (
	"errors"
	"hash/fnv"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// fakeTokens is a token store of a few tokens; Reissue appends "-new".
type fakeTokens struct {
	mu     sync.Mutex
	tokens map[string]core.Token
	full   bool
}

func (f *fakeTokens) Exists(token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.tokens[token]
	return ok
}

func (f *fakeTokens) Reissue(token string) (core.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.tokens[token]
	if !ok {
		return core.Token{}, errors.New("the token is gone")
	}
	if f.full {
		return core.Token{}, errors.New("too many tokens")
	}
	nt := old
	nt.Token = token + "-new"
	f.tokens[nt.Token] = nt
	return nt, nil
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newRoom returns a room on a clock standing at epoch, with the tokens
// "t" (user 7) and "u" (user 8), hashing with seed.
func newRoom(t *testing.T, seed int64) (*Room, *core.Clock, *fakeTokens) {
	t.Helper()
	clk := core.NewClock(func() time.Time { return epoch })
	toks := &fakeTokens{tokens: map[string]core.Token{
		"t": {Token: "t", Kind: vkerr.KindUser, UserID: 7, State: core.StateValid},
		"u": {Token: "u", Kind: vkerr.KindUser, UserID: 8, State: core.StateValid},
	}}
	hash := func(labels ...string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(strconv.FormatInt(seed, 10)))
		for _, l := range labels {
			h.Write([]byte{0})
			h.Write([]byte(l))
		}
		return h.Sum64()
	}
	r := New(Deps{Clock: clk, Hash: hash, MaxToken: 4096, Tokens: toks})
	return r, clk, toks
}

// call is a request of method by token with params (key, value, ...).
func call(method, token string, params ...string) *core.Request {
	q := &core.Request{Name: method, Token: token, HasToken: token != "", Host: "mock.test"}
	for i := 0; i+1 < len(params); i += 2 {
		q.Params = append(q.Params, core.KV{Key: params[i], Value: params[i+1]})
	}
	return q
}

func code(e *vkerr.Error) vkerr.Code {
	if e == nil {
		return 0
	}
	return e.Code
}

func TestFlowStoresBounded(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	q := call("users.get", "t")
	for range MaxFlows + 50 {
		r.NewCaptchaError(q, "vkid", 1, false)
		r.newValidation(q, vkerr.AuthValidation)
	}
	if len(r.flows.captchas) > MaxFlows || len(r.flows.bySuccess) > MaxFlows || len(r.flows.validations) > MaxFlows {
		t.Fatalf("%d captchas, %d tokens, %d validations", len(r.flows.captchas), len(r.flows.bySuccess), len(r.flows.validations))
	}
	for range MaxFlows + 50 {
		r.Fill(&vkerr.Error{Code: vkerr.NeedConfirmation}, call("wall.post", "t", "message", strconv.Itoa(len(r.confirms.pending))), false)
	}
	if n := len(r.confirms.pending); n > MaxFlows {
		t.Fatalf("%d pending confirmations", n)
	}
}

func TestChallengeRulesValidation(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	for _, c := range []Rules{
		{Captcha: []CaptchaRule{{Method: "", Threshold: 1}}},
		{Captcha: []CaptchaRule{{Method: "a", Flow: "other"}}},
		{Captcha: []CaptchaRule{{Method: "a", Threshold: -1}}},
		{Flood: []FloodRule{{Method: "a", Threshold: 0}}},
		{Flood: []FloodRule{{Method: "a", Threshold: 1, CooldownMS: maxWindowMS + 1}}},
		{Quota: []QuotaRule{{Method: "[", PerDay: 1}}},
		{Quota: []QuotaRule{{Method: "a", PerDay: 0}}},
	} {
		if err := r.Set(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	var fe *core.FieldError
	if err := r.Set(Rules{Captcha: []CaptchaRule{{Method: "a", WindowMS: -1}}}); !errors.As(err, &fe) || fe.Field != "captcha.window_ms" {
		t.Errorf("negative window: %v", err)
	}
	c := Rules{Confirm: []ConfirmRule{{Method: "wall.*"}}}
	if err := r.Set(c); err != nil || len(r.Rules().Confirm) != 1 {
		t.Fatal(err)
	}
	// Rules returns a copy.
	r.Rules().Confirm[0].Method = "changed"
	if r.Rules().Confirm[0].Method != "wall.*" {
		t.Fatal("Rules shares memory with the room")
	}
}

// TestCaptchasFollowTheSeed: one seed, one series of sids and keys.
func TestCaptchasFollowTheSeed(t *testing.T) {
	a, _, _ := newRoom(t, 5)
	b, _, _ := newRoom(t, 5)
	c, _, _ := newRoom(t, 6)
	q := call("wall.post", "t")
	ea, eb, ec := a.NewCaptchaError(q, "", 1, false), b.NewCaptchaError(q, "", 1, false), c.NewCaptchaError(q, "", 1, false)
	ka, _ := a.Captcha(ea.CaptchaSID)
	kb, _ := b.Captcha(eb.CaptchaSID)
	if ea.CaptchaSID != eb.CaptchaSID || ka.Key != kb.Key || ea.CaptchaSID == ec.CaptchaSID {
		t.Fatalf("sids %s %s %s", ea.CaptchaSID, eb.CaptchaSID, ec.CaptchaSID)
	}
	if len(ea.CaptchaSID) != 12 || len(ka.Key) != 5 || ka.Flow != "legacy" || !ka.Strict {
		t.Fatalf("captcha %+v", ka)
	}
	if ea.CaptchaImg != "http://mock.test/captcha.php?sid="+ea.CaptchaSID+"&s=1" || ea.CaptchaTS != strconv.FormatInt(epoch.Unix(), 10)+".000" {
		t.Fatalf("img %s ts %s", ea.CaptchaImg, ea.CaptchaTS)
	}
	a.Reset()
	if _, ok := a.Captcha(ea.CaptchaSID); ok {
		t.Fatal("Reset kept a captcha")
	}
	if again := a.NewCaptchaError(q, "", 1, false); again.CaptchaSID != ea.CaptchaSID {
		t.Fatal("Reset did not restart the series")
	}
}
