package vkapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// Tests of the hooks and cooldowns against vkmock's real flows: captchas
// whose key is in the picture, the validation page that issues a new token,
// confirmation, flood and quota rules counted on the mock's clock.

// flowServer is a mock for the flow tests: its rate limits are off (the
// limiter has tests of its own) so that the flows run at full speed.
func flowServer(t *testing.T) *vkmock.Server {
	return vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
}

// flowClient is a client of s with a short limiter window and fast retries.
func flowClient(s *vkmock.Server, tok string, kind TokenKind, opts ...Option) *Client {
	base := []Option{WithBaseURL(s.URL()), WithTokenKind(kind), WithRetry(fastRetry), WithLimit(Limit{Per: 20 * time.Millisecond})}
	return New(tok, append(base, opts...)...)
}

func setChallenges(t *testing.T, s *vkmock.Server, c vkmock.Challenges) {
	t.Helper()
	if err := s.Challenges().Set(c); err != nil {
		t.Fatal(err)
	}
}

// getBody GETs u with the mock's HTTP client and checks the status and the
// content type.
func getBody(ctx context.Context, s *vkmock.Server, u, wantType string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
		return nil, fmt.Errorf("GET %s: %s, %s", u, resp.Status, resp.Header.Get("Content-Type"))
	}
	return b, nil
}

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

// postsWith counts the posts of the world whose text is text.
func postsWith(s *vkmock.Server, text string) int {
	n := 0
	for _, p := range s.World().Snapshot().Posts {
		if p.Text == text {
			n++
		}
	}
	return n
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

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// pageValidator is a Validator that goes through the mock's validation page
// as a browser would: it opens redirect_uri, submits the form with act (ok or
// cancel) and reads the new token from the fragment of the blank.html
// redirect.
func pageValidator(s *vkmock.Server, act string, calls *atomic.Int32) ValidatorFunc {
	return func(ctx context.Context, v *Validation) (string, error) {
		calls.Add(1)
		page, err := getBody(ctx, s, v.RedirectURI, "text/html")
		if err != nil {
			return "", err
		}
		m := formAction.FindSubmatch(page)
		if m == nil {
			return "", fmt.Errorf("no form on the validation page: %s", page)
		}
		ru, err := url.Parse(v.RedirectURI)
		if err != nil {
			return "", err
		}
		action, err := ru.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(url.Values{"act": {act}}.Encode()))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hc := *s.HTTPClient()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode != http.StatusFound || loc.Path != "/blank.html" {
			return "", fmt.Errorf("validation answered %s, Location %v", resp.Status, loc)
		}
		frag, err := url.ParseQuery(loc.Fragment)
		if err != nil || frag.Get("success") != "1" || frag.Get("access_token") == "" {
			return "", fmt.Errorf("validation failed: #%s", loc.Fragment)
		}
		return frag.Get("access_token"), nil
	}
}

func TestVKMockValidation(t *testing.T) {
	s := flowServer(t)
	old, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Challenges().SetToken(old.Token, vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	c := flowClient(s, old.Token, KindUser, WithValidator(pageValidator(s, "ok", &calls)))
	// Concurrent calls that meet the 17 share one validation.
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Go(func() {
			var users []struct {
				ID int64 `json:"id"`
			}
			err := c.Call(context.Background(), "users.get", nil, &users)
			if err == nil && (len(users) != 1 || users[0].ID != old.UserID) {
				err = fmt.Errorf("caller %d: users.get answered %+v for the token's owner %d", i, users, old.UserID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("validator called %d times", n)
	}
	// The mock issued a new token of the same owner; the old one still
	// answers 17, so later calls succeed only if the new token replaced it.
	var fresh vkmock.Token
	for _, tk := range s.Tokens().All() {
		if tk.UserID == old.UserID && tk.Token != old.Token {
			fresh = tk
		}
	}
	if fresh.Token == "" || s.Challenges().Token(old.Token) != vkerr.AuthValidation {
		t.Fatalf("the mock's tokens: %+v", s.Tokens().All())
	}
	n17 := countCode(s.Requests().Of("users.get"), vkerr.AuthValidation)
	for range 3 {
		if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if countCode(s.Requests().Of("users.get"), vkerr.AuthValidation) != n17 || calls.Load() != 1 {
		t.Error("later calls went out with the old token")
	}
	// Revoking the new token makes the client fail with 5, not 17: the
	// pool holds the new token. Neither token shows in the error.
	if err := s.Tokens().SetState(fresh.Token, vkmock.StateRevoked); err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "users.get", nil, nil)
	var te *TokenError
	if !errors.As(err, &te) || !errors.Is(err, vkerr.Auth) {
		t.Fatalf("after revoking the new token: %v", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, fresh.Token) || strings.Contains(msg, old.Token) {
		t.Errorf("a token in the error: %s", msg)
	}
}

func TestVKMockValidationWithoutValidator(t *testing.T) {
	s := flowServer(t)
	tok := s.Tokens().Of(vkmock.TokenUser).Token
	if err := s.Challenges().SetToken(tok, vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	c := flowClient(s, tok, KindUser)
	err := c.Call(context.Background(), "users.get", nil, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.AuthValidation || !strings.HasPrefix(e.RedirectURI, s.URL()+"/validate?sid=") {
		t.Fatalf("err %v", err)
	}
	if n := len(s.Requests().Of("users.get")); n != 1 {
		t.Errorf("%d requests", n)
	}
	// redirect_uri is all the caller needs: completing it gives a token.
	if nt, err := s.Challenges().CompleteValidation(e.RedirectURI); err != nil || nt == "" {
		t.Errorf("CompleteValidation: %q %v", nt, err)
	}
	// A validation the person cancels ends the call with the hook's error.
	var calls atomic.Int32
	c = flowClient(s, tok, KindUser, WithValidator(pageValidator(s, "cancel", &calls)))
	err = c.Call(context.Background(), "users.get", nil, nil)
	var he *HookError
	if !errors.As(err, &he) || he.Hook != "validator" || !errors.Is(err, vkerr.AuthValidation) || !strings.Contains(err.Error(), "fail=1") {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestVKMockConfirmation(t *testing.T) {
	s := flowServer(t)
	const text = "Publish this on your wall?"
	setChallenges(t, s, vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "wall.post", Text: text}}})
	tok := s.Tokens().Of(vkmock.TokenUser).Token
	ctx := context.Background()
	var asked []string
	yes := flowClient(s, tok, KindUser, WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
		asked = append(asked, cf.Method+": "+cf.Text)
		return true, nil
	})))
	var post struct {
		PostID int64 `json:"post_id"`
	}
	if err := yes.Call(ctx, "wall.post", Params{"message": "confirmed"}, &post); err != nil || post.PostID == 0 {
		t.Fatalf("yes: %v", err)
	}
	recs := s.Requests().Of("wall.post")
	if len(asked) != 1 || asked[0] != "wall.post: "+text || len(recs) != 2 {
		t.Fatalf("asked %q; %d requests", asked, len(recs))
	}
	if recs[0].Param("confirm") != "" || recs[1].Param("confirm") != "1" || recs[1].ErrorCode != nil ||
		recs[0].Param("guid") != recs[1].Param("guid") {
		t.Errorf("requests %+v", recs)
	}
	if postsWith(s, "confirmed") != 1 {
		t.Error("no post")
	}

	no := flowClient(s, tok, KindUser, WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) { return false, nil })))
	err := no.Call(ctx, "wall.post", Params{"message": "declined"}, nil)
	var he *HookError
	if !errors.As(err, &he) || he.Hook != "confirmer" || !errors.Is(err, ErrDeclined) || !errors.Is(err, vkerr.NeedConfirmation) {
		t.Fatalf("no: %v", err)
	}
	if n := len(s.Requests().Of("wall.post")); n != 3 || postsWith(s, "declined") != 0 {
		t.Errorf("no: %d requests, %d posts", n, postsWith(s, "declined"))
	}

	bare := flowClient(s, tok, KindUser)
	err = bare.Call(ctx, "wall.post", Params{"message": "unasked"}, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.NeedConfirmation || e.ConfirmationText != text {
		t.Fatalf("without a confirmer: %v", err)
	}
	if n := len(s.Requests().Of("wall.post")); n != 4 || postsWith(s, "unasked") != 0 {
		t.Errorf("without a confirmer: %d requests", n)
	}
}

func TestVKMockFloodRule(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Flood: []vkmock.FloodRule{{Method: "messages.send", Threshold: 2, CooldownMS: 600_000, Suffix: "too much messages sent to user"}}})
	c := flowClient(s, s.Tokens().Of(vkmock.TokenGroup).Token, KindGroup, WithRetry(RetryPolicy{FloodCooldown: 5 * time.Minute}))
	ctx := context.Background()
	send := func(peer int) error {
		return c.Call(ctx, "messages.send", Params{"peer_id": peer, "message": "hi"}, nil)
	}
	for range 2 {
		if err := send(1001); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err := send(1001)
	var ce *CooldownError
	if !errors.As(err, &ce) || ce.Code != vkerr.Flood || ce.Local || !errors.Is(err, vkerr.Flood) || !errors.Is(err, vkerr.ErrRateLimit) {
		t.Fatalf("9: %v", err)
	}
	if d := ce.Until.Sub(start); d < 5*time.Minute || d > 5*time.Minute+5*time.Second || ce.RetryAfter() < 4*time.Minute {
		t.Errorf("until %v, %v from the call", ce.Until, d)
	}
	if !strings.Contains(err.Error(), "until "+ce.Until.Format(time.RFC3339)) || !strings.Contains(err.Error(), "too much messages") {
		t.Errorf("the error does not say until when: %v", err)
	}
	if n := len(s.Requests().Of("messages.send")); n != 3 {
		t.Errorf("9 retried: %d requests", n)
	}
	// Flood control is per target: another peer goes out.
	if err := send(1002); err != nil {
		t.Fatalf("another peer: %v", err)
	}
	// After the mock's cooldown (its clock moved, not slept) the peer works.
	if err := send(1001); !errors.Is(err, vkerr.Flood) {
		t.Fatalf("still cooling down: %v", err)
	}
	s.Clock().Advance(11 * time.Minute)
	if err := send(1001); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	if n := len(s.World().Messages()); n != 4 {
		t.Errorf("%d messages, want 4", n)
	}
}

func TestVKMockQuotaRule(t *testing.T) {
	t.Parallel() // it waits for the client's cooldown
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Quota: []vkmock.QuotaRule{{Method: "wall.get", PerDay: 2}}})
	c := flowClient(s, s.Tokens().Of(vkmock.TokenUser).Token, KindUser, WithRetry(RetryPolicy{QuotaCooldown: 300 * time.Millisecond}))
	ctx := context.Background()
	for range 2 {
		if err := c.Call(ctx, "wall.get", Params{"owner_id": vkmock.DefaultUserID}, nil); err != nil {
			t.Fatal(err)
		}
	}
	err := c.Call(ctx, "wall.get", Params{"owner_id": vkmock.DefaultUserID}, nil)
	var ce *CooldownError
	if !errors.As(err, &ce) || ce.Code != vkerr.RateLimit || ce.Local || !errors.Is(err, vkerr.RateLimit) {
		t.Fatalf("29: %v", err)
	}
	if !strings.Contains(err.Error(), "until "+ce.Until.Format(time.RFC3339)) {
		t.Errorf("the error does not say until when: %v", err)
	}
	before := len(s.Requests().All())
	err = c.Call(ctx, "wall.get", Params{"owner_id": vkmock.DefaultUserID}, nil)
	var local *CooldownError
	var callErr *CallError
	if !errors.As(err, &local) || !local.Local || !local.Until.Equal(ce.Until) || !errors.Is(err, vkerr.RateLimit) ||
		!errors.As(err, &callErr) || callErr.Attempts != 0 {
		t.Fatalf("refused locally: %v", err)
	}
	if n := len(s.Requests().All()); n != before {
		t.Fatalf("the local refusal reached the mock: %d requests more", n-before)
	}
	// Other methods still work on the token.
	if err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatalf("other methods: %v", err)
	}
	if recs := s.Requests().All(); len(recs) != before+1 || recs[len(recs)-1].Method != "users.get" {
		t.Fatalf("log %+v", recs[before:])
	}
	// Once the client's cooldown is over, and the mock's day has turned,
	// the method goes out again.
	s.Clock().Advance(24 * time.Hour)
	time.Sleep(local.RetryAfter() + 10*time.Millisecond)
	if err := c.Call(ctx, "wall.get", Params{"owner_id": vkmock.DefaultUserID}, nil); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
}

func TestVKMockQuotaMovesToOtherToken(t *testing.T) {
	s := flowServer(t)
	setChallenges(t, s, vkmock.Challenges{Quota: []vkmock.QuotaRule{{Method: "wall.get", PerDay: 3}}})
	a := s.Tokens().Of(vkmock.TokenUser).Token
	b, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Token a uses up its quota elsewhere.
	other := flowClient(s, a, KindUser)
	for range 3 {
		if err := other.Call(ctx, "wall.get", Params{"owner_id": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := flowClient(s, a, KindUser, WithTokens(b.Token))
	var n29, okCalls int
	for range 4 {
		err := c.Call(ctx, "wall.get", Params{"owner_id": 1}, nil)
		switch {
		case err == nil:
			okCalls++
		case errors.Is(err, vkerr.RateLimit):
			n29++
		default:
			t.Fatal(err)
		}
	}
	// One 29 on a; b serves the rest.
	if n29 != 1 || okCalls != 3 {
		t.Fatalf("%d errors 29, %d calls served", n29, okCalls)
	}
	// b's quota is used up too: its 29, then a local refusal on both.
	err = c.Call(ctx, "wall.get", Params{"owner_id": 1}, nil)
	var ce *CooldownError
	if !errors.As(err, &ce) || ce.Local {
		t.Fatalf("b's 29: %v", err)
	}
	before := len(s.Requests().All())
	err = c.Call(ctx, "wall.get", Params{"owner_id": 1}, nil)
	if !errors.As(err, &ce) || !ce.Local || len(s.Requests().All()) != before {
		t.Fatalf("both cooling down: %v, %d requests more", err, len(s.Requests().All())-before)
	}
	if n := countCode(s.Requests().Of("wall.get"), vkerr.RateLimit); n != 2 {
		t.Errorf("%d errors 29 at the mock, want 2", n)
	}
}
