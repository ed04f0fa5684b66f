package vkapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// Tests of the remedies against vkmock (part 1: strict rate limits, token
// states, fault rules).

func mockRecords(s *vkmock.Server, method string) []vkmock.RequestRecord {
	var out []vkmock.RequestRecord
	for _, r := range s.Requests() {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

func recordParam(r vkmock.RequestRecord, key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

func countCode(recs []vkmock.RequestRecord, code vkerr.Code) int {
	n := 0
	for _, r := range recs {
		if r.ErrorCode != nil && *r.ErrorCode == code {
			n++
		}
	}
	return n
}

func addFault(t *testing.T, s *vkmock.Server, f vkmock.Fault) {
	t.Helper()
	if _, err := s.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func TestVKMockLimiterHolds(t *testing.T) {
	d := 2 * time.Second
	if testing.Short() {
		d = time.Second
	}
	for _, kind := range []vkmock.TokenKind{vkmock.TokenGroup, vkmock.TokenUser} {
		t.Run(string(kind), func(t *testing.T) {
			s := vkmock.NewServer(t)
			c := New(s.Token(kind).Token, WithBaseURL(s.URL()), WithTokenKind(ParseTokenKind(string(kind))),
				WithRetry(RetryPolicy{MaxAttempts: 1}))
			res := runLoad(c, 30, d, "users.get", Params{"user_ids": 1})
			recs := mockRecords(s, "users.get")
			if n := countCode(recs, vkerr.TooMany); n != 0 || res.tooMany != 0 {
				t.Errorf("%d errors 6 at the mock, %d seen by callers", n, res.tooMany)
			}
			if res.other != 0 {
				t.Errorf("%d other errors; first: %v", res.other, res.firstErr)
			}
			budget := 3.0
			if kind == vkmock.TokenGroup {
				budget = 20
			}
			util := float64(res.ok) / (budget * res.elapsed.Seconds())
			t.Logf("%s: %d calls in %v: %.1f%% of the budget", kind, res.ok, res.elapsed, 100*util)
			if util < 0.85 {
				t.Errorf("utilisation %.1f%%", 100*util)
			}
		})
	}
}

type loadResult struct {
	ok, tooMany, other int
	firstErr           error
	elapsed            time.Duration
}

// runLoad has callers goroutines call method as fast as the client lets
// them for d. It counts the calls that completed within d.
func runLoad(c *Client, callers int, d time.Duration, method string, p Params) loadResult {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var res loadResult
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := c.Call(ctx, method, p, nil)
				mu.Lock()
				switch {
				case err == nil:
					res.ok++
				case errors.Is(err, vkerr.TooMany):
					res.tooMany++
				case ctx.Err() != nil:
				default:
					res.other++
					if res.firstErr == nil {
						res.firstErr = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func TestVKMockTransientBackoff(t *testing.T) {
	s := vkmock.NewServer(t)
	tok := s.Token(vkmock.TokenGroup).Token
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Unknown}})
	addFault(t, s, vkmock.Fault{Method: "messages.send", Times: 2, Error: &vkerr.Error{Code: vkerr.Server}})
	c := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithRetry(fastRetry))
	ctx := context.Background()
	if err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if recs := mockRecords(s, "users.get"); len(recs) != 3 {
		t.Errorf("users.get: %d requests, want 3", len(recs))
	}
	var id int
	if err := c.Call(ctx, "messages.send", Params{"peer_id": 100, "message": "hi"}, &id); err != nil {
		t.Fatal(err)
	}
	recs := mockRecords(s, "messages.send")
	if len(recs) != 3 {
		t.Fatalf("messages.send: %d requests, want 3", len(recs))
	}
	rid := recordParam(recs[0], "random_id")
	for _, r := range recs {
		if recordParam(r, "random_id") != rid || rid == "" {
			t.Errorf("random_id %q, want %q on every attempt", recordParam(r, "random_id"), rid)
		}
	}
	// A write without an idempotency key is not repeated.
	addFault(t, s, vkmock.Fault{Method: "wall.edit", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
	user := New(s.Token(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser), WithRetry(fastRetry))
	err := user.Call(ctx, "wall.edit", Params{"post_id": 1, "message": "x"}, nil)
	if !errors.Is(err, vkerr.Server) || len(mockRecords(s, "wall.edit")) != 1 {
		t.Errorf("wall.edit: %v after %d requests", err, len(mockRecords(s, "wall.edit")))
	}
}

func TestVKMockHTTPFaults(t *testing.T) {
	s := vkmock.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, HTTPStatus: 502})
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Effect: "reset"})
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Effect: "truncate"})
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithRetry(fastRetry))
	var out []map[string]any
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Error("empty response")
	}
	if n := len(mockRecords(s, "users.get")); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	s.ClearFaults()
	addFault(t, s, vkmock.Fault{Method: "users.get", HTTPStatus: 503})
	err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
	var he *vkerr.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 503 || !errors.Is(err, vkerr.ErrTransient) {
		t.Errorf("err %v", err)
	}
}

func TestVKMockTooManyRetried(t *testing.T) {
	s := vkmock.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.TooMany}})
	c := New(s.Token(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser))
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
	recs := mockRecords(s, "users.get")
	if len(recs) != 2 || recs[1].Time.Sub(recs[0].Time) < 900*time.Millisecond {
		t.Errorf("%d requests; resent too early", len(recs))
	}
}

func TestVKMockFloodAndQuota(t *testing.T) {
	s := vkmock.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "messages.send", Error: &vkerr.Error{Code: vkerr.Flood}, Suffix: "too much messages sent to user"})
	addFault(t, s, vkmock.Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.RateLimit}})
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup))
	ctx := context.Background()
	err := c.Call(ctx, "messages.send", Params{"peer_id": 1, "message": "x"}, nil)
	var ce *CooldownError
	if !errors.As(err, &ce) || ce.Code != vkerr.Flood || ce.RetryAfter() < time.Minute {
		t.Fatalf("9: %v", err)
	}
	if n := len(mockRecords(s, "messages.send")); n != 1 {
		t.Errorf("9 retried: %d requests", n)
	}
	user := New(s.Token(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser))
	err = user.Call(ctx, "wall.get", Params{"owner_id": 1}, nil)
	if !errors.As(err, &ce) || ce.Code != vkerr.RateLimit || ce.Local {
		t.Fatalf("29: %v", err)
	}
	err = user.Call(ctx, "wall.get", Params{"owner_id": 1}, nil)
	if !errors.As(err, &ce) || !ce.Local {
		t.Fatalf("29 again: %v", err)
	}
	if n := len(mockRecords(s, "wall.get")); n != 1 {
		t.Errorf("the local refusal reached the mock: %d requests", n)
	}
	if err := user.Call(ctx, "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Errorf("other methods must still work: %v", err)
	}
}

func TestVKMockPoolDropsDeadToken(t *testing.T) {
	s := vkmock.NewServer(t)
	bad, err := s.CreateToken(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	good := s.Token(vkmock.TokenUser)
	if err := s.SetTokenState(bad.Token, vkmock.StateRevoked); err != nil {
		t.Fatal(err)
	}
	c := New(bad.Token, WithTokens(good.Token), WithBaseURL(s.URL()), WithTokenKind(KindUser),
		WithLimit(Limit{User: 3}))
	var tokErrs int
	for i := 0; i < 6; i++ {
		err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
		var te *TokenError
		switch {
		case err == nil:
		case errors.As(err, &te) && errors.Is(err, vkerr.Auth):
			tokErrs++
		default:
			t.Fatal(err)
		}
	}
	if tokErrs != 1 {
		t.Errorf("%d token errors, want 1", tokErrs)
	}
	if n := countCode(mockRecords(s, "users.get"), vkerr.Auth); n != 1 {
		t.Errorf("the dead token was used %d times", n)
	}
	if err := s.SetTokenState(good.Token, vkmock.StateDeactivated); err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
	if !errors.Is(err, vkerr.UserDeactivated) {
		t.Fatalf("3610: %v", err)
	}
	err = c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
	if !errors.Is(err, ErrNoTokens) {
		t.Fatalf("all dead: %v", err)
	}
}

func TestVKMockRefresherRevivesToken(t *testing.T) {
	s := vkmock.NewServer(t)
	old, err := s.CreateToken(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTokenState(old.Token, vkmock.StateExpired); err != nil {
		t.Fatal(err)
	}
	fresh := s.Token(vkmock.TokenUser).Token
	c := New(old.Token, WithBaseURL(s.URL()), WithTokenKind(KindUser), WithTokenRefresher(TokenRefresherFunc(
		func(ctx context.Context, r *Refresh) (string, error) { return fresh, nil })))
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestVKMockChallengesViaFaults(t *testing.T) {
	s := vkmock.NewServer(t)
	tok := s.Token(vkmock.TokenUser).Token
	addFault(t, s, vkmock.Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Captcha}})
	addFault(t, s, vkmock.Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.AuthValidation}})
	addFault(t, s, vkmock.Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.NeedConfirmation}})
	var got []string
	c := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindUser),
		WithCaptchaSolver(CaptchaSolverFunc(func(ctx context.Context, cp *Captcha) (CaptchaAnswer, error) {
			got = append(got, "captcha "+cp.SID)
			if cp.SID == "" || cp.Img == "" {
				return CaptchaAnswer{}, errors.New("no captcha_sid or captcha_img")
			}
			return CaptchaAnswer{Key: "k"}, nil
		})),
		WithValidator(ValidatorFunc(func(ctx context.Context, v *Validation) (string, error) {
			got = append(got, "validate")
			if v.RedirectURI == "" {
				return "", errors.New("no redirect_uri")
			}
			return tok, nil // part 1 of the mock does not issue new tokens
		})),
		WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
			got = append(got, "confirm")
			return cf.Text != "", nil
		})))
	if err := c.Call(context.Background(), "wall.get", Params{"owner_id": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("hooks called: %v", got)
	}
	recs := mockRecords(s, "wall.get")
	if len(recs) != 4 || recordParam(recs[1], "captcha_sid") == "" || recordParam(recs[3], "confirm") != "1" {
		t.Errorf("%d requests: %+v", len(recs), recs)
	}
	// Without hooks, each challenge comes back typed, with its fields.
	bare := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindUser))
	for _, code := range []vkerr.Code{vkerr.Captcha, vkerr.AuthValidation, vkerr.NeedConfirmation} {
		addFault(t, s, vkmock.Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: code}})
		err := bare.Call(context.Background(), "wall.get", Params{"owner_id": 1}, nil)
		var e *vkerr.Error
		if !errors.As(err, &e) || e.Code != code || e.CaptchaSID == "" && e.RedirectURI == "" && e.ConfirmationText == "" {
			t.Errorf("%d: %v", code, err)
		}
	}
}

func TestVKMockContextCancel(t *testing.T) {
	s := vkmock.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", LatencyMS: 5000})
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	// Cancelled while waiting for the limiter.
	s.ClearFaults()
	user := New(s.Token(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser))
	for i := 0; i < 3; i++ {
		if err := user.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	err = user.Call(ctx2, "users.get", Params{"user_ids": 1}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("limiter wait: %v", err)
	}
}
