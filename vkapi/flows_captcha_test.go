package vkapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// The captcha flows against vkmock: a solver that reads the key from the
// picture, a wrong key, the VK ID flow, and no solver.

// mockSolver is a CaptchaSolver that does what a person would: it looks at
// the picture (legacy flow) or opens the VK ID page (VK ID flow). The key in
// the picture is read from the mock's control API, which tells the digits
// it drew. The first Wrong answers are deliberately wrong.
type mockSolver struct {
	s     *vkmock.Server
	Wrong int

	mu   sync.Mutex
	seen []Captcha
}

func (m *mockSolver) calls() []Captcha {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Captcha(nil), m.seen...)
}

func (m *mockSolver) SolveCaptcha(ctx context.Context, cp *Captcha) (CaptchaAnswer, error) {
	m.mu.Lock()
	m.seen = append(m.seen, *cp)
	wrong := m.Wrong > 0
	if wrong {
		m.Wrong--
	}
	m.mu.Unlock()
	if cp.RedirectURI != "" {
		// VK ID flow: open the page, press the button, take the token.
		if _, err := getBody(ctx, m.s, cp.RedirectURI, "text/html"); err != nil {
			return CaptchaAnswer{}, err
		}
		if wrong {
			return CaptchaAnswer{SuccessToken: "vkmock_captcha_not-the-right-one"}, nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cp.RedirectURI, nil)
		if err != nil {
			return CaptchaAnswer{}, err
		}
		resp, err := m.s.HTTPClient().Do(req)
		if err != nil {
			return CaptchaAnswer{}, err
		}
		defer resp.Body.Close()
		var out struct {
			SuccessToken string `json:"success_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.SuccessToken == "" {
			return CaptchaAnswer{}, fmt.Errorf("VK ID page: %v %q", err, out.SuccessToken)
		}
		return CaptchaAnswer{SuccessToken: out.SuccessToken}, nil
	}
	// Legacy flow: fetch the picture, as it would be shown to a person.
	img, err := getBody(ctx, m.s, cp.Img, "image/png")
	if err != nil {
		return CaptchaAnswer{}, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width == 0 {
		return CaptchaAnswer{}, fmt.Errorf("captcha_img is no picture: %v", err)
	}
	u, err := url.Parse(cp.Img)
	if err != nil || u.Query().Get("sid") != cp.SID {
		return CaptchaAnswer{}, fmt.Errorf("captcha_img %s is not the picture of captcha_sid %s", cp.Img, cp.SID)
	}
	// Read the digits: the mock tells the key of the picture it drew.
	b, err := getBody(ctx, m.s, m.s.URL()+"/__vkmock/captcha/"+url.PathEscape(cp.SID), "application/json")
	if err != nil {
		return CaptchaAnswer{}, err
	}
	var info vkmock.CaptchaInfo
	if err := json.Unmarshal(b, &info); err != nil || info.Key == "" {
		return CaptchaAnswer{}, fmt.Errorf("captcha info %s: %v", b, err)
	}
	if wrong {
		return CaptchaAnswer{Key: "x" + info.Key}, nil
	}
	return CaptchaAnswer{Key: info.Key}, nil
}

func TestVKMockCaptchaSolved(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Captcha: []vkmock.CaptchaRule{{Method: "wall.post", Threshold: 0}}})
	solver := &mockSolver{s: s}
	c := flowClient(s, s.Tokens().Of(vkmock.TokenUser).Token, KindUser, WithCaptchaSolver(solver))
	var post struct {
		PostID int64 `json:"post_id"`
	}
	if err := c.Call(context.Background(), "wall.post", Params{"message": "after a captcha"}, &post); err != nil || post.PostID == 0 {
		t.Fatalf("wall.post: %v %+v", err, post)
	}
	seen := solver.calls()
	if len(seen) != 1 || seen[0].Attempt != 1 || seen[0].Method != "wall.post" || seen[0].SID == "" {
		t.Fatalf("solver saw %+v", seen)
	}
	info, ok := s.Challenges().Captcha(seen[0].SID)
	if !ok || !info.Solved || info.Flow != "legacy" {
		t.Errorf("the mock's captcha: %+v %v", info, ok)
	}
	recs := s.Requests().Of("wall.post")
	if len(recs) != 2 || recs[0].ErrorCode == nil || *recs[0].ErrorCode != vkerr.Captcha || recs[1].ErrorCode != nil {
		t.Fatalf("%d requests: %+v", len(recs), recs)
	}
	re := recs[1]
	if re.Param("captcha_sid") != seen[0].SID || re.Param("captcha_key") == "" ||
		re.Param("captcha_ts") != seen[0].Err.CaptchaTS || re.Param("captcha_attempt") != "1" {
		t.Errorf("resend params %+v", re.Params)
	}
	if g := recs[0].Param("guid"); g == "" || re.Param("guid") != g {
		t.Errorf("the resend must keep the guid: %q, %q", g, re.Param("guid"))
	}
	if n := postsWith(s, "after a captcha"); n != 1 {
		t.Errorf("%d posts", n)
	}
}

func TestVKMockCaptchaWrongKey(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Captcha: []vkmock.CaptchaRule{{Method: "wall.post", Threshold: 0}}})
	tok := s.Tokens().Of(vkmock.TokenUser).Token

	// One wrong answer: a fresh captcha, then the right key passes.
	once := &mockSolver{s: s, Wrong: 1}
	c := flowClient(s, tok, KindUser, WithCaptchaSolver(once))
	if err := c.Call(context.Background(), "wall.post", Params{"message": "second try"}, nil); err != nil {
		t.Fatal(err)
	}
	seen := once.calls()
	if len(seen) != 2 || seen[0].SID == seen[1].SID || seen[1].Attempt != 2 || seen[1].Err.CaptchaAttempt != 2 {
		t.Fatalf("solver saw %+v", seen)
	}
	if len(s.Requests().Of("wall.post")) != 3 || postsWith(s, "second try") != 1 {
		t.Fatalf("%d requests, %d posts", len(s.Requests().Of("wall.post")), postsWith(s, "second try"))
	}

	// Always wrong: the attempts are bounded, and the call ends with the
	// last captcha, typed, with everything needed to show it.
	before := len(s.Requests().Of("wall.post"))
	always := &mockSolver{s: s, Wrong: 100}
	c = flowClient(s, tok, KindUser, WithCaptchaSolver(always), WithCaptchaAttempts(3))
	err := c.Call(context.Background(), "wall.post", Params{"message": "never"}, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.Captcha || e.CaptchaSID == "" || e.CaptchaAttempt != 4 {
		t.Fatalf("err %v (%+v)", err, e)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 4 {
		t.Errorf("attempts: %v", err)
	}
	if n := len(always.calls()); n != 3 {
		t.Errorf("solver asked %d times, want 3", n)
	}
	if n := len(s.Requests().Of("wall.post")) - before; n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if info, ok := s.Challenges().Captcha(e.CaptchaSID); !ok || info.Solved || info.Attempt != 4 {
		t.Errorf("the last captcha: %+v %v", info, ok)
	}
	if postsWith(s, "never") != 0 {
		t.Error("a post without a solved captcha")
	}
}

func TestVKMockCaptchaVKID(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Captcha: []vkmock.CaptchaRule{{Method: "messages.send", Threshold: 0, Flow: "vkid"}}})
	solver := &mockSolver{s: s}
	c := flowClient(s, s.Tokens().Of(vkmock.TokenGroup).Token, KindGroup, WithCaptchaSolver(solver))
	var id int64
	if err := c.Call(context.Background(), "messages.send", Params{"peer_id": 1234, "message": "vk id"}, &id); err != nil || id == 0 {
		t.Fatalf("messages.send: %v %d", err, id)
	}
	seen := solver.calls()
	if len(seen) != 1 || !strings.HasPrefix(seen[0].RedirectURI, s.URL()+"/not_robot_captcha?") || seen[0].Err.RemixStlid <= 1<<53 {
		t.Fatalf("solver saw %+v", seen)
	}
	recs := s.Requests().Of("messages.send")
	if len(recs) != 2 || recs[1].ErrorCode != nil {
		t.Fatalf("%d requests", len(recs))
	}
	if recs[1].Param("success_token") == "" || recs[1].Param("remixstlid") != strconv.FormatInt(seen[0].Err.RemixStlid, 10) {
		t.Errorf("resend params %+v", recs[1].Params)
	}
	if ms := s.World().Messages(); len(ms) != 1 || ms[0].ID != id || ms[0].PeerID != 1234 {
		t.Errorf("messages %+v", ms)
	}

}

func TestVKMockCaptchaWithoutSolver(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Captcha: []vkmock.CaptchaRule{
		{Method: "wall.post", Threshold: 0}, {Method: "messages.send", Threshold: 0, Flow: "vkid"}}})
	ctx := context.Background()
	c := flowClient(s, s.Tokens().Of(vkmock.TokenUser).Token, KindUser)
	err := c.Call(ctx, "wall.post", Params{"message": "x"}, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.Captcha || e.CaptchaSID == "" || e.CaptchaImg == "" {
		t.Fatalf("err %v", err)
	}
	// The fields are enough to show the captcha and answer it by hand.
	if _, err := getBody(ctx, s, e.CaptchaImg, "image/png"); err != nil {
		t.Error(err)
	}
	if info, ok := s.Challenges().Captcha(e.CaptchaSID); !ok || info.Key == "" {
		t.Errorf("captcha_sid %s unknown to the mock", e.CaptchaSID)
	}
	if n := len(s.Requests().Of("wall.post")); n != 1 {
		t.Errorf("%d requests", n)
	}
	err = c.Call(ctx, "messages.send", Params{"peer_id": 5, "message": "x"}, nil)
	if !errors.As(err, &e) || e.Code != vkerr.Captcha || !strings.HasPrefix(e.RedirectURI, s.URL()+"/not_robot_captcha?") {
		t.Fatalf("VK ID flow: %v", err)
	}
	// A solver that gives up.
	quit := flowClient(s, s.Tokens().Of(vkmock.TokenUser).Token, KindUser, WithCaptchaSolver(CaptchaSolverFunc(
		func(ctx context.Context, cp *Captcha) (CaptchaAnswer, error) { return CaptchaAnswer{}, nil })))
	err = quit.Call(ctx, "wall.post", Params{"message": "x"}, nil)
	var he *HookError
	if !errors.As(err, &he) || he.Hook != "captcha solver" || !errors.Is(err, ErrDeclined) || !errors.Is(err, vkerr.Captcha) {
		t.Fatalf("declined: %v", err)
	}
	if len(s.World().Messages()) != 0 || postsWith(s, "x") != 0 {
		t.Error("an unsolved captcha let an action through")
	}
}
