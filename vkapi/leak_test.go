package vkapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The secrets of TestTokenNeverLeaks. Not shaped like a VK token, so only
// the client's own redaction of the tokens it holds can catch them.
const (
	leakTok1, leakTok2, leakFresh    = "plainSecretOne1234", "plainSecretTwo5678", "plainSecretFresh999"
	leakCaptchaKey, leakSuccessToken = "captchaKEYsecret", "successTOKENsecret"
)

// TestTokenNeverLeaks runs every error path with a server that echoes the
// token everywhere it can, and greps the logs, the error strings and their
// %+v forms, and the request URLs for any token: zero hits.
// Each path runs in a parallel subtest under testing/synctest, with the
// fake served in memory: the timeouts and the slow path take no real time,
// and the paths (CPU work under -race) share the cores.
func TestTokenNeverLeaks(t *testing.T) {
	echo := func(r fakeReq) string {
		return fmt.Sprintf("token %s; access_token=%s; key=%s", r.Token, r.Token, r.Form.Get("captcha_key"))
	}
	paths := map[string]func(r fakeReq) reply{
		"5 with ban_info": func(r fakeReq) reply {
			return errReply(5, "User authorization failed: "+echo(r), map[string]any{"ban_info": map[string]any{"member_name": "x", "message": "banned", "access_token": r.Token}})
		},
		"17 with token in redirect": func(r fakeReq) reply {
			if r.Token == leakFresh {
				return errReply(15, "Access denied: "+echo(r), nil)
			}
			return errReply(17, "Validation required", map[string]any{"redirect_uri": "https://oauth.vk.com/blank.html#success=1&access_token=" + r.Token})
		},
		"14 echoing captcha_key": func(r fakeReq) reply {
			return errReply(14, "Captcha needed: "+echo(r), map[string]any{"captcha_sid": "1", "captcha_img": "https://x/?sid=1&access_token=" + r.Token})
		},
		"24 then echo": func(r fakeReq) reply {
			if r.Form.Get("confirm") == "1" {
				return errReply(100, "One of the parameters specified was missing or invalid: "+echo(r), nil)
			}
			return errReply(24, "Confirmation required", map[string]any{"confirmation_text": echo(r)})
		},
		"6":    func(r fakeReq) reply { return errReply(6, "Too many requests per second "+echo(r), nil) },
		"9":    func(r fakeReq) reply { return errReply(9, "Flood control: "+echo(r), nil) },
		"29":   func(r fakeReq) reply { return errReply(29, "Rate limit reached "+echo(r), nil) },
		"10":   func(r fakeReq) reply { return errReply(10, "Internal server error "+echo(r), nil) },
		"3609": func(r fakeReq) reply { return errReply(3609, "Token extension required "+echo(r), nil) },
		"3610": func(r fakeReq) reply { return errReply(3610, "User is deactivated "+echo(r), nil) },
		"unknown code": func(r fakeReq) reply {
			return errReply(99999, echo(r), map[string]any{"extra_field": r.Token, "access_token": r.Token})
		},
		"502 html": func(r fakeReq) reply {
			return reply{status: 502, ctype: "text/html", body: "<html><body>" + echo(r) + "</body></html>"}
		},
		"not VK":    func(r fakeReq) reply { return reply{body: `{"token":"` + r.Token + `"}`} },
		"truncated": func(r fakeReq) reply { return reply{body: `{"response":"` + r.Token + `..........."}`, truncate: true} },
		"junk":      func(r fakeReq) reply { return reply{body: "nonsense " + r.Token} },
		"reset":     func(r fakeReq) reply { return reply{reset: true} },
		"execute": func(r fakeReq) reply {
			return reply{body: `{"response":[false],"execute_errors":[{"method":"users.get","error_code":18,"error_msg":"` + echo(r) + `"}]}`}
		},
		"slow": func(r fakeReq) reply { return reply{delay: time.Second} },
	}
	var logs strings.Builder
	var logMu sync.Mutex
	logger := newTestLogger(&logs, &logMu)
	var mu sync.Mutex // guards outputs and seen
	var outputs []string
	var seen []fakeReq
	t.Run("paths", func(t *testing.T) {
		for name, h := range paths {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					timeout := 100 * time.Millisecond
					if name == "6" {
						// A resend after error 6 is no attempt: the call
						// goes on until its context ends, a resend every
						// few ms. 100 ms were 900 requests (9 s under
						// -race); 20 ms are four resends a call, each
						// logged and echoing the token as the others.
						timeout = 20 * time.Millisecond
					}
					out, reqs := leakPath(t, name, h, logger, timeout)
					mu.Lock()
					outputs = append(outputs, out...)
					seen = append(seen, reqs...)
					mu.Unlock()
				})
			})
		}
	})
	logMu.Lock()
	all := logs.String() + strings.Join(outputs, "\n")
	logMu.Unlock()
	if len(outputs) < 50 || !strings.Contains(all, "vkapi: attempt") {
		t.Fatalf("the paths did not run: %d outputs", len(outputs))
	}
	for _, secret := range []string{leakTok1, leakTok2, leakFresh, leakCaptchaKey, leakSuccessToken} {
		if n := strings.Count(all, secret); n > 0 {
			i := strings.Index(all, secret)
			t.Errorf("%q appears %d times, e.g. …%s…", secret, n, all[max(0, i-200):min(len(all), i+50)])
		}
	}
	var sawFresh bool
	for _, r := range seen {
		for _, s := range []string{leakTok1, leakTok2, leakFresh} {
			if strings.Contains(r.URL, s) {
				t.Errorf("token in URL %s", r.URL)
			}
			if strings.Contains(r.Body, s) {
				t.Errorf("token in body %s", r.Body)
			}
		}
		sawFresh = sawFresh || r.Token == leakFresh
	}
	if !sawFresh {
		t.Error("no request used the renewed token: the hook paths did not run")
	}
}

// leakPath runs one error path of TestTokenNeverLeaks: three clients (with
// every hook, with none, with a token refresher that fails once), each
// calling three methods three times, each call within timeout. It returns
// the errors in every form the test greps and the requests the fake saw.
func leakPath(t *testing.T, name string, h func(r fakeReq) reply, logger *slog.Logger, timeout time.Duration) (outputs []string, seen []fakeReq) {
	f := newMemFakeVK(t, h)
	hooks := []Option{
		WithCaptchaSolver(CaptchaSolverFunc(func(ctx context.Context, c *Captcha) (CaptchaAnswer, error) {
			if c.Attempt > 1 {
				return CaptchaAnswer{SuccessToken: leakSuccessToken}, nil
			}
			return CaptchaAnswer{Key: leakCaptchaKey}, nil
		})),
		WithValidator(ValidatorFunc(func(ctx context.Context, v *Validation) (string, error) { return leakFresh, nil })),
		WithConfirmer(ConfirmerFunc(func(ctx context.Context, c *Confirmation) (bool, error) { return true, nil })),
	}
	var refreshes atomic.Int32
	failingRefresher := WithTokenRefresher(TokenRefresherFunc(func(ctx context.Context, r *Refresh) (string, error) {
		if refreshes.Add(1) == 1 {
			return "", fmt.Errorf("cannot refresh %s", leakTok1)
		}
		return leakFresh, nil
	}))
	for _, opts := range [][]Option{hooks, nil, {failingRefresher}} {
		all := append([]Option{WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokens(leakTok2), WithLogger(logger), WithRetry(fastRetry),
			WithLimit(Limit{Per: 5 * time.Millisecond})}, opts...)
		c := New(leakTok1, append(all, WithTokenKind(KindUser))...)
		for _, method := range []string{"users.get", "messages.send", "execute"} {
			for i := 0; i < 3; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				err := c.Call(ctx, method, Params{"message": "m", "captcha_key": leakCaptchaKey}, nil)
				cancel()
				if err == nil {
					continue
				}
				outputs = append(outputs, name+": "+err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err), fmt.Sprintf("%q", err))
				for e := err; e != nil; e = errors.Unwrap(e) {
					outputs = append(outputs, fmt.Sprintf("%+v", e))
				}
			}
		}
	}
	return outputs, f.requests()
}
