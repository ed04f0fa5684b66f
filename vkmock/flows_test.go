package vkmock

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// noRedirect is a client that shows redirects instead of following them.
func noRedirect(s *Server) *http.Client {
	c := *s.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func captchaInfo(t *testing.T, s *Server, sid string) CaptchaInfo {
	t.Helper()
	var c CaptchaInfo
	if st := controlCall(t, s, "GET", "/__vkmock/captcha/"+sid, nil, &c); st != http.StatusOK {
		t.Fatalf("GET captcha %s: %d", sid, st)
	}
	return c
}

func setChallenges(t *testing.T, s *Server, c Challenges) {
	t.Helper()
	if st := controlCall(t, s, "POST", "/__vkmock/challenges", c, nil); st != http.StatusOK {
		t.Fatalf("POST challenges: %d", st)
	}
}

func TestCaptchaLegacyFlow(t *testing.T) {
	// The mock's clock stands still: captcha_ts is the clock when the error
	// was made, and the wall clock could turn a second before it is read.
	clock := newFakeClock()
	s := testServer(t, WithRateLimits(false), WithClock(clock.Now))
	user := s.Tokens().Of(TokenUser).Token
	setChallenges(t, s, Challenges{Captcha: []CaptchaRule{{Method: "wall.post", Threshold: 2}}})
	postIt := func(extra ...string) *answer {
		return post(t, s, "wall.post", vals(append([]string{"v", "5.199", "access_token", user, "message", "hi"}, extra...)...), nil)
	}
	for i := range 2 {
		if a := postIt(); a.code() != 0 {
			t.Fatalf("post %d: %s", i, a.body)
		}
	}
	// The third similar action in the window needs a captcha.
	a := postIt()
	wantError(t, a, vkerr.Captcha, "Captcha needed")
	e := a.env.Error
	if e.CaptchaSID == "" || e.CaptchaImg != s.URL()+"/captcha.php?sid="+e.CaptchaSID+"&s=1" || e.CaptchaAttempt != 1 || e.CaptchaTS == "" || e.RedirectURI != "" || e.RemixStlid != 0 {
		t.Fatalf("captcha fields: %s", a.body)
	}
	if ts, err := strconv.ParseFloat(e.CaptchaTS, 64); err != nil || int64(ts) != s.Clock().Now().Unix() {
		t.Fatalf("captcha_ts %q, clock %d", e.CaptchaTS, s.Clock().Now().Unix())
	}
	// The picture is a real PNG.
	resp, err := s.HTTPClient().Get(e.CaptchaImg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "image/png" || img.Bounds().Dx() != 130 || img.Bounds().Dy() != 50 {
		t.Fatalf("captcha picture: %v, %s, %v", err, resp.Header.Get("Content-Type"), img)
	}
	if resp, _ := s.HTTPClient().Get(s.URL() + "/captcha.php?sid=nope"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown captcha picture: %d", resp.StatusCode)
	}
	info := captchaInfo(t, s, e.CaptchaSID)
	if len(info.Key) != 5 || !info.Strict || info.Flow != "legacy" || info.Solved {
		t.Fatalf("captcha info %+v", info)
	}

	// A wrong key gets a fresh captcha, attempt 2.
	a = postIt("captcha_sid", e.CaptchaSID, "captcha_key", "wrong", "captcha_ts", e.CaptchaTS, "captcha_attempt", "1")
	wantError(t, a, vkerr.Captcha, "Captcha needed")
	e2 := a.env.Error
	if e2.CaptchaSID == e.CaptchaSID || e2.CaptchaAttempt != 2 {
		t.Fatalf("wrong key: %s", a.body)
	}
	if len(s.World().Snapshot().Posts) != 18+2 {
		t.Fatalf("%d posts after the refused ones", len(s.World().Snapshot().Posts))
	}
	// Another token cannot use this captcha.
	other, _ := s.Tokens().Create(Token{Kind: TokenUser, UserID: DefaultUserID})
	key2 := captchaInfo(t, s, e2.CaptchaSID).Key
	a = post(t, s, "wall.post", vals("v", "5.199", "access_token", other.Token, "message", "x", "captcha_sid", e2.CaptchaSID, "captcha_key", key2), nil)
	wantError(t, a, vkerr.Captcha, "")
	// The right key, with the extras clients send, succeeds.
	a = postIt("captcha_sid", e2.CaptchaSID, "captcha_key", strings.ToUpper(key2), "captcha_ts", e2.CaptchaTS,
		"captcha_attempt", "2", "is_sound_captcha", "0", "remixstlid", "0")
	if a.code() != 0 {
		t.Fatalf("right key: %s", a.body)
	}
	if !captchaInfo(t, s, e2.CaptchaSID).Solved {
		t.Fatal("captcha not marked solved")
	}
	// The answer, sent again, is neither a solution nor an error: the count
	// started afresh, so the next action passes.
	if a := postIt("captcha_sid", e2.CaptchaSID, "captcha_key", key2); a.code() != 0 {
		t.Fatalf("used answer resent: %s", a.body)
	}
	// The secrets never reach the request log.
	raw, _ := json.Marshal(s.Requests().All())
	if strings.Contains(string(raw), key2) || strings.Contains(string(raw), user) {
		t.Fatalf("request log leaks a secret: %s", raw)
	}
}

func TestCaptchaVKIDFlow(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	setChallenges(t, s, Challenges{Captcha: []CaptchaRule{{Method: "messages.send", Threshold: 0, Flow: "vkid"}}})
	send := func(extra ...string) *answer {
		return post(t, s, "messages.send", vals(append([]string{"v", "5.199", "access_token", user, "peer_id", "1", "random_id", "7", "message", "hi"}, extra...)...), nil)
	}
	a := send()
	wantError(t, a, vkerr.Captcha, "Captcha needed")
	e := a.env.Error
	if e.RedirectURI != s.URL()+"/not_robot_captcha?sid="+e.CaptchaSID || e.RemixStlid <= 1<<53 || e.CaptchaAttempt != 1 {
		t.Fatalf("VK ID captcha fields: %s", a.body)
	}
	// remixstlid is a JSON number above 2^53, kept exactly.
	if !bytes.Contains(a.body, []byte(`"remixstlid":`+strconv.FormatInt(e.RemixStlid, 10))) {
		t.Fatalf("remixstlid: %s", a.body)
	}
	resp, err := s.HTTPClient().Get(e.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "<form") {
		t.Fatalf("captcha page %d: %s", resp.StatusCode, page)
	}
	resp, err = s.HTTPClient().Post(e.RedirectURI, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	var solved struct {
		SuccessToken string `json:"success_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&solved)
	resp.Body.Close()
	if solved.SuccessToken == "" || solved.SuccessToken != captchaInfo(t, s, e.CaptchaSID).SuccessToken {
		t.Fatalf("success_token %q", solved.SuccessToken)
	}
	// A wrong success_token gets a fresh captcha.
	wantError(t, send("success_token", "forged", "captcha_sid", e.CaptchaSID), vkerr.Captcha, "")
	if len(s.World().Messages()) != 0 {
		t.Fatal("a message was sent without a captcha")
	}
	// The right one, with what vkapi resends, succeeds.
	a = send("captcha_sid", e.CaptchaSID, "success_token", solved.SuccessToken, "captcha_ts", e.CaptchaTS,
		"captcha_attempt", "1", "remixstlid", strconv.FormatInt(e.RemixStlid, 10))
	if a.code() != 0 || len(s.World().Messages()) != 1 {
		t.Fatalf("solved: %s, %d messages", a.body, len(s.World().Messages()))
	}
	raw, _ := json.Marshal(s.Requests().All())
	if strings.Contains(string(raw), solved.SuccessToken) {
		t.Fatal("request log leaks the success_token")
	}
}

func TestCaptchaFromFaultRule(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	get := func(extra ...string) *answer {
		return call(t, s, "wall.get", vals(append([]string{"v", "5.199", "access_token", user}, extra...)...))
	}
	// Strict: the right key is needed, and the rule does not fire on the
	// request that answers it.
	mustAdd(t, s, Fault{Method: "wall.get", Error: &vkerr.Error{Code: vkerr.Captcha}, StrictCaptcha: true})
	a := get()
	wantError(t, a, vkerr.Captcha, "Captcha needed")
	sid := a.env.Error.CaptchaSID
	a = get("captcha_sid", sid, "captcha_key", "00000")
	wantError(t, a, vkerr.Captcha, "")
	sid2 := a.env.Error.CaptchaSID
	if a := get("captcha_sid", sid2, "captcha_key", captchaInfo(t, s, sid2).Key); a.code() != 0 {
		t.Fatalf("strict, right key: %s", a.body)
	}
	// Lenient: any key solves it (a one-shot injected error), on request.
	s.Faults().Clear()
	mustAdd(t, s, Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Captcha}, Lenient: true})
	sid = get().env.Error.CaptchaSID
	if info := captchaInfo(t, s, sid); info.Strict {
		t.Fatalf("lenient captcha: %+v", info)
	}
	if a := get("captcha_sid", sid, "captcha_key", "anything"); a.code() != 0 {
		t.Fatalf("lenient: %s", a.body)
	}
}

func TestValidationFlow(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	old, _ := s.Tokens().Create(Token{Kind: TokenUser, UserID: DefaultUserID, Scopes: []string{"wall", "messages"}})
	if st := controlCall(t, s, "POST", "/__vkmock/tokens/challenge", map[string]any{"token": old.Token, "error_code": 17}, nil); st != http.StatusOK {
		t.Fatalf("challenge: %d", st)
	}
	a := call(t, s, "users.get", vals("v", "5.199", "access_token", old.Token))
	wantError(t, a, vkerr.AuthValidation, "Validation required: please open redirect_uri in browser")
	uri := a.env.Error.RedirectURI
	if !strings.HasPrefix(uri, s.URL()+"/validate?sid=") {
		t.Fatalf("redirect_uri %q", uri)
	}
	c := noRedirect(s)
	resp, err := c.Get(uri)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `value="ok"`) {
		t.Fatalf("validation page %d: %s", resp.StatusCode, page)
	}
	// Passing the check redirects to blank.html with a new token.
	resp, err = c.PostForm(uri, url.Values{"act": {"ok"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Path != "/blank.html" {
		t.Fatalf("after validation: %d %s", resp.StatusCode, loc)
	}
	frag, _ := url.ParseQuery(loc.Fragment)
	newTok := frag.Get("access_token")
	if frag.Get("success") != "1" || newTok == "" || newTok == old.Token || frag.Get("user_id") != strconv.FormatInt(DefaultUserID, 10) {
		t.Fatalf("fragment %q", loc.Fragment)
	}
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", newTok)); a.code() != 0 {
		t.Fatalf("new token: %s", a.body)
	}
	// The old token still needs validation; the used page fails.
	wantError(t, call(t, s, "users.get", vals("v", "5.199", "access_token", old.Token)), vkerr.AuthValidation, "")
	resp, _ = c.PostForm(uri, url.Values{"act": {"ok"}})
	resp.Body.Close()
	if !strings.HasSuffix(resp.Header.Get("Location"), "/blank.html#fail=1") {
		t.Fatalf("reused page: %s", resp.Header.Get("Location"))
	}
	// Cancelling fails too, and gives no token.
	uri = call(t, s, "users.get", vals("v", "5.199", "access_token", old.Token)).env.Error.RedirectURI
	resp, _ = c.Get(uri + "&act=cancel")
	resp.Body.Close()
	if resp.Header.Get("Location") != s.URL()+"/blank.html#fail=1" {
		t.Fatalf("canceled: %s", resp.Header.Get("Location"))
	}
	// The Go API completes a check the same way.
	uri = call(t, s, "users.get", vals("v", "5.199", "access_token", old.Token)).env.Error.RedirectURI
	tok2, err := s.Challenges().CompleteValidation(uri)
	if err != nil || tok2 == "" || tok2 == newTok {
		t.Fatalf("CompleteValidation: %q, %v", tok2, err)
	}
	if resp, _ := s.HTTPClient().Get(s.URL() + "/blank.html"); resp.StatusCode != http.StatusOK {
		t.Fatalf("blank.html: %d", resp.StatusCode)
	}
}

func TestTokenChallenges(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	tok, _ := s.Tokens().Create(Token{Kind: TokenUser})
	get := func() *answer { return call(t, s, "users.get", vals("v", "5.199", "access_token", tok.Token)) }
	for _, code := range []vkerr.Code{vkerr.Recaptcha, vkerr.PhoneValidationNeed, vkerr.PasswordValidationNeed, vkerr.OtpValidationNeed, vkerr.EmailConfirmationNeed} {
		if err := s.Challenges().SetToken(tok.Token, code); err != nil {
			t.Fatal(err)
		}
		a := get()
		wantError(t, a, code, code.Info().MessageEN)
		if !strings.HasPrefix(a.env.Error.RedirectURI, s.URL()+"/validate?sid=") {
			t.Fatalf("%d without redirect_uri: %s", code, a.body)
		}
		// Completing the check clears the challenge; the token stays.
		if nt, err := s.Challenges().CompleteValidation(a.env.Error.RedirectURI); err != nil || nt != "" {
			t.Fatalf("%d: complete: %q %v", code, nt, err)
		}
		if a := get(); a.code() != 0 {
			t.Fatalf("%d after the check: %s", code, a.body)
		}
	}
	for _, code := range []vkerr.Code{vkerr.TokenExtensionRequired, vkerr.UserDeactivated, vkerr.UserServiceDeactivated} {
		controlCall(t, s, "POST", "/__vkmock/tokens/challenge", map[string]any{"token": tok.Token, "error_code": code}, nil)
		a := get()
		wantError(t, a, code, code.Info().MessageEN)
		if a.env.Error.RedirectURI != "" {
			t.Fatalf("%d with redirect_uri", code)
		}
		controlCall(t, s, "POST", "/__vkmock/tokens/challenge", map[string]any{"token": tok.Token, "error_code": 0}, nil)
		if a := get(); a.code() != 0 {
			t.Fatalf("%d cleared: %s", code, a.body)
		}
	}
	if err := s.Challenges().SetToken(tok.Token, vkerr.Server); err == nil {
		t.Fatal("challenge 10 accepted")
	}
	if st := controlCall(t, s, "POST", "/__vkmock/tokens/challenge", map[string]any{"token": "nope", "error_code": 17}, nil); st != http.StatusBadRequest {
		t.Fatalf("unknown token: %d", st)
	}
}

func TestConfirmationFlow(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	setChallenges(t, s, Challenges{Confirm: []ConfirmRule{{Method: "wall.post", Text: "Publish this post?"}}})
	a := post(t, s, "wall.post", vals("v", "5.199", "access_token", user, "message", "sure?"), nil)
	wantError(t, a, vkerr.NeedConfirmation, "Confirmation required")
	if a.env.Error.ConfirmationText != "Publish this post?" {
		t.Fatalf("confirmation_text: %s", a.body)
	}
	wantError(t, post(t, s, "wall.post", vals("v", "5.199", "access_token", user, "message", "sure?", "confirm", "0"), nil), vkerr.NeedConfirmation, "")
	a = post(t, s, "wall.post", vals("v", "5.199", "access_token", user, "message", "sure?", "confirm", "1"), nil)
	if a.code() != 0 {
		t.Fatalf("confirmed: %s", a.body)
	}
	var wall struct {
		Items []Post `json:"items"`
	}
	_ = json.Unmarshal(call(t, s, "wall.get", vals("v", "5.199", "access_token", user, "count", "1")).env.Response, &wall)
	if len(wall.Items) != 1 || wall.Items[0].Text != "sure?" {
		t.Fatalf("wall after the confirmed post: %+v", wall)
	}
}

func TestFloodAndQuotaWithClock(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now), WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	user := s.Tokens().Of(TokenUser).Token
	setChallenges(t, s, Challenges{
		Flood: []FloodRule{{Method: "messages.send", Threshold: 2, WindowMS: 60000, CooldownMS: 600000, Suffix: "too much messages sent to user"}},
		Quota: []QuotaRule{{Method: "wall.get", PerDay: 3}},
	})
	send := func(peer string) *answer {
		return post(t, s, "messages.send", vals("v", "5.199", "access_token", group, "peer_id", peer, "message", "x"), nil)
	}
	for i := range 2 {
		if a := send("1"); a.code() != 0 {
			t.Fatalf("send %d: %s", i, a.body)
		}
	}
	wantError(t, send("1"), vkerr.Flood, "Flood control: too much messages sent to user")
	if a := send("2"); a.code() != 0 {
		t.Fatalf("another target: %s", a.body)
	}
	// The cooldown holds for 10 minutes of the mock's clock.
	var cs ClockState
	controlCall(t, s, "POST", "/__vkmock/clock", map[string]any{"advance": "9m"}, &cs)
	if !cs.Now.Equal(time.Date(2025, 1, 1, 12, 9, 0, 0, time.UTC)) || cs.OffsetMS != 540000 {
		t.Fatalf("clock %+v", cs)
	}
	wantError(t, send("1"), vkerr.Flood, "")
	controlCall(t, s, "POST", "/__vkmock/clock", map[string]any{"advance_ms": 61000}, nil)
	if a := send("1"); a.code() != 0 {
		t.Fatalf("after the cooldown: %s", a.body)
	}

	for i := range 3 {
		if a := call(t, s, "wall.get", vals("v", "5.199", "access_token", user)); a.code() != 0 {
			t.Fatalf("wall.get %d: %s", i, a.body)
		}
	}
	wantError(t, call(t, s, "wall.get", vals("v", "5.199", "access_token", user)), vkerr.RateLimit, "Rate limit reached")
	if a := call(t, s, "users.get", vals("v", "5.199", "access_token", user)); a.code() != 0 {
		t.Fatalf("another method: %s", a.body)
	}
	// Midnight of the mock's clock resets the quota.
	var now ClockState
	controlCall(t, s, "GET", "/__vkmock/clock", nil, &now)
	controlCall(t, s, "POST", "/__vkmock/clock", map[string]any{"now": "2025-01-02T00:00:01Z"}, &now)
	if now.Unix != time.Date(2025, 1, 2, 0, 0, 1, 0, time.UTC).Unix() {
		t.Fatalf("clock set to %+v", now)
	}
	if a := call(t, s, "wall.get", vals("v", "5.199", "access_token", user)); a.code() != 0 {
		t.Fatalf("next day: %s", a.body)
	}
	var st int64
	_ = json.Unmarshal(call(t, s, "utils.getServerTime", vals("v", "5.199", "access_token", user)).env.Response, &st)
	if st != now.Unix {
		t.Fatalf("utils.getServerTime %d, clock %d", st, now.Unix)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/clock", map[string]any{}, nil); st != http.StatusBadRequest {
		t.Fatalf("empty clock change: %d", st)
	}
	// The Go API moves the same clock.
	s.Clock().Advance(time.Hour)
	if got := s.Clock().Now(); !got.Equal(time.Date(2025, 1, 2, 1, 0, 1, 0, time.UTC)) {
		t.Fatalf("Now %v", got)
	}
	s.Reset()
	if !s.Clock().Now().Equal(clock.Now()) {
		t.Fatal("Reset kept the clock's offset")
	}
}
