package challenges

import (
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// TestCaptchaRuleCountsInItsWindow: the Threshold+1-th call in the window
// gets 14; the window passing, or a solved captcha, starts afresh; calls
// of execute (inner) are not asked.
func TestCaptchaRuleCountsInItsWindow(t *testing.T) {
	r, clk, _ := newRoom(t, 1)
	if err := r.Set(Rules{Captcha: []CaptchaRule{{Method: "wall.*", Threshold: 2, WindowMS: 1000}}}); err != nil {
		t.Fatal(err)
	}
	q := call("wall.post", "t")
	for i := range 2 {
		if e := r.Check(q, false, false); e != nil {
			t.Fatalf("call %d: %v", i, e)
		}
	}
	if e := r.Check(q, false, true); e != nil {
		t.Fatalf("inner call: %v", e)
	}
	if e := r.Check(q, false, false); code(e) != vkerr.Captcha || e.CaptchaSID == "" {
		t.Fatalf("third call: %v", e)
	}
	if e := r.Check(call("wall.post", "u"), false, false); e != nil {
		t.Fatalf("another token: %v", e)
	}
	if e := r.Check(call("users.get", "t"), false, false); e != nil {
		t.Fatalf("another method: %v", e)
	}
	// Solved: passes, and the count starts afresh.
	if e := r.Check(q, true, false); e != nil {
		t.Fatalf("solved: %v", e)
	}
	for i := range 2 {
		if e := r.Check(q, false, false); e != nil {
			t.Fatalf("after solving, call %d: %v", i, e)
		}
	}
	if e := r.Check(q, false, false); code(e) != vkerr.Captcha {
		t.Fatalf("after solving, third call: %v", e)
	}
	clk.Advance(time.Second)
	if e := r.Check(q, false, false); e != nil {
		t.Fatalf("after the window: %v", e)
	}
}

// TestRefusedCallsAreNotCounted: a call refused by a confirmation rule
// does not count towards a captcha rule.
func TestRefusedCallsAreNotCounted(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	if err := r.Set(Rules{
		Captcha: []CaptchaRule{{Method: "wall.post", Threshold: 1, Flow: "vkid"}},
		Confirm: []ConfirmRule{{Method: "wall.post", Text: "Sure?"}},
	}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if e := r.Check(call("wall.post", "t"), false, false); code(e) != vkerr.NeedConfirmation || e.ConfirmationText != "Sure?" {
			t.Fatalf("without confirm: %v", e)
		}
	}
	if e := r.Check(call("wall.post", "t", "confirm", "1"), false, false); e != nil {
		t.Fatalf("first confirmed call: %v", e)
	}
	e := r.Check(call("wall.post", "t", "confirm", "1"), false, false)
	if code(e) != vkerr.Captcha || e.RedirectURI == "" || e.RemixStlid < 1<<53 {
		t.Fatalf("second confirmed call: %+v", e)
	}
}

func TestFloodCooldownAndQuotaDay(t *testing.T) {
	r, clk, _ := newRoom(t, 1)
	if err := r.Set(Rules{
		Flood: []FloodRule{{Method: "messages.send", Threshold: 2, WindowMS: 10_000, CooldownMS: 5_000, Suffix: "too fast"}},
		Quota: []QuotaRule{{Method: "wall.post", PerDay: 2}},
	}); err != nil {
		t.Fatal(err)
	}
	send := func(peer string) *vkerr.Error {
		return r.Check(call("messages.send", "t", "peer_id", peer), false, false)
	}
	for i := range 2 {
		if e := send("1"); e != nil {
			t.Fatalf("call %d, below the threshold: %v", i, e)
		}
	}
	if e := send("1"); code(e) != vkerr.Flood || e.Message != vkerr.Flood.Info().MessageEN+": too fast" {
		t.Fatalf("over the threshold: %+v", e)
	}
	if e := send("2"); e != nil {
		t.Fatalf("another target: %v", e)
	}
	clk.Advance(4 * time.Second)
	if e := send("1"); code(e) != vkerr.Flood {
		t.Fatalf("during the cooldown: %v", e)
	}
	clk.Advance(time.Second)
	if e := send("1"); e != nil {
		t.Fatalf("after the cooldown: %v", e)
	}

	post := func() *vkerr.Error { return r.Check(call("wall.post", "t"), false, false) }
	for i := range 2 {
		if e := post(); e != nil {
			t.Fatalf("call %d, within the quota: %v", i, e)
		}
	}
	if e := post(); code(e) != vkerr.RateLimit {
		t.Fatalf("over the quota: %v", e)
	}
	clk.Set(time.Date(epoch.Year(), epoch.Month(), epoch.Day()+1, 0, 0, 0, 0, time.UTC))
	if e := post(); e != nil {
		t.Fatalf("the next day: %v", e)
	}
	// Set forgets the counts.
	if err := r.Set(r.Rules()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if e := post(); e != nil {
			t.Fatalf("call %d after Set: %v", i, e)
		}
	}
}

// TestCaptchaAnswers: the states of an answer, for both flows.
func TestCaptchaAnswers(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	q := call("wall.post", "t")
	legacy := r.NewCaptchaError(q, "legacy", 1, false)
	info, _ := r.Captcha(legacy.CaptchaSID)
	vkid := r.NewCaptchaError(q, "vkid", 2, false)
	vinfo, _ := r.Captcha(vkid.CaptchaSID)
	lenient := r.NewCaptchaError(q, "", 1, true)
	tests := []struct {
		name    string
		q       *core.Request
		consume bool
		want    int
		attempt int
	}{
		{"no answer", call("wall.post", "t"), true, core.AnswerNone, 0},
		{"key alone", call("wall.post", "t", "captcha_key", info.Key), true, core.AnswerWrong, 0},
		{"wrong key", call("wall.post", "t", "captcha_sid", info.SID, "captcha_key", "0"), true, core.AnswerWrong, 1},
		{"other token", call("wall.post", "u", "captcha_sid", info.SID, "captcha_key", info.Key), true, core.AnswerWrong, 1},
		{"unknown sid", call("wall.post", "t", "captcha_sid", "1", "captcha_key", "1"), true, core.AnswerWrong, 0},
		{"right key, peeked", call("wall.post", "t", "captcha_sid", info.SID, "captcha_key", " "+info.Key+" "), false, core.AnswerFresh, 1},
		{"right key", call("wall.post", "t", "captcha_sid", info.SID, "captcha_key", info.Key), true, core.AnswerFresh, 1},
		{"right key again", call("wall.post", "t", "captcha_sid", info.SID, "captcha_key", info.Key), true, core.AnswerUsed, 1},
		{"success token", call("wall.post", "t", "success_token", vinfo.SuccessToken), true, core.AnswerFresh, 2},
		{"unknown success token", call("wall.post", "t", "success_token", "x"), true, core.AnswerWrong, 0},
		{"lenient, any key", call("wall.post", "t", "captcha_sid", lenient.CaptchaSID, "captcha_key", "x"), true, core.AnswerFresh, 1},
	}
	for _, tc := range tests {
		got, ans := r.Answer(tc.q, tc.consume)
		attempt := 0
		if ans != nil {
			attempt = ans.Attempt
		}
		if got != tc.want || attempt != tc.attempt {
			t.Errorf("%s: state %d attempt %d, want %d %d", tc.name, got, attempt, tc.want, tc.attempt)
		}
	}
	if c, _ := r.Captcha(info.SID); !c.Solved {
		t.Error("a consumed answer is not marked solved")
	}
}
