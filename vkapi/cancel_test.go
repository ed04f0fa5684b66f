package vkapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// The calls of these tests cancel at random points, so run them with
// -race and a high -count: any write of the client to a caller's out after
// the call returned is a data race the detector reports, and the checks
// below catch the rest.

// randomCancel returns a context that is canceled after a random delay in
// [0, max), or at once.
func randomCancel(t *testing.T, max time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if d := rand.N(max); d > max/8 {
		time.AfterFunc(d, cancel)
	} else {
		cancel()
	}
	return ctx
}

// TestBatchingCancelledCallOutUntouched: under WithBatching, a call whose
// context ends returns, and its out stays the caller's: the execute that
// carried it, answered later, does not decode into it. The test writes to
// out right after the call returns (the race detector sees any concurrent
// write of the client) and, once Close has waited for every batch, checks
// that no failed call's out was written.
func TestBatchingCancelledCallOutUntouched(t *testing.T) {
	f := newFakeVK(t, func(r fakeReq) reply {
		return reply{body: `{"response":` + onesArray(countCalls(r.Form.Get("code"))) + `}`,
			delay: time.Duration(rand.N(3)) * time.Millisecond}
	})
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindGroup), WithLimit(Limit{Off: true}),
		WithBatching(BatchOptions{Window: time.Millisecond}))
	const callers = 40
	outs := make([]int, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ctx := randomCancel(t, 6*time.Millisecond)
			errs[i] = c.Call(ctx, "users.get", Params{"user_ids": i + 1}, &outs[i])
			if errs[i] != nil {
				outs[i] = -1 // the caller's memory again: a write of the client would race
			}
		})
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range callers {
		switch {
		case errs[i] == nil && outs[i] != 1:
			t.Errorf("call %d: succeeded with out %d", i, outs[i])
		case errs[i] != nil && outs[i] != -1:
			t.Errorf("call %d: failed (%v) but out was written later: %d", i, errs[i], outs[i])
		case errs[i] != nil && !errors.Is(errs[i], context.Canceled):
			t.Errorf("call %d: %v", i, errs[i])
		}
	}
}

// countCalls counts the API calls of an execute's code.
func countCalls(code string) int {
	n := 0
	for i := 0; i+4 <= len(code); i++ {
		if code[i:i+4] == "API." {
			n++
		}
	}
	return n
}

func onesArray(n int) string {
	s := "["
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += "1"
	}
	return s + "]"
}

// TestBatchDoCancelWaitsForEveryCall: Batch.Do returns only once every
// request it started is over, the calls sent alone for a hook included,
// and a call that finished is never reported as canceled.
func TestBatchDoCancelWaitsForEveryCall(t *testing.T) {
	f := newFakeVK(t, func(r fakeReq) reply {
		if r.Method == "execute" {
			// Every second call asks for a captcha; the rest succeed.
			n := countCalls(r.Form.Get("code"))
			body := `{"response":[`
			var errs []string
			for i := range n {
				if i > 0 {
					body += ","
				}
				if i%2 == 1 {
					body += "false"
					errs = append(errs, `{"method":"users.get","error_code":14,"error_msg":"Captcha needed","captcha_sid":"1","captcha_img":"x"}`)
				} else {
					body += "1"
				}
			}
			body += "]"
			if len(errs) > 0 {
				body += `,"execute_errors":[`
				for i, e := range errs {
					if i > 0 {
						body += ","
					}
					body += e
				}
				body += "]"
			}
			return reply{body: body + "}", delay: time.Duration(rand.N(2)) * time.Millisecond}
		}
		return reply{body: `{"response":1}`, delay: time.Duration(rand.N(3)) * time.Millisecond}
	})
	var solved atomic.Int32
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindGroup), WithLimit(Limit{Off: true}),
		WithCaptchaSolver(CaptchaSolverFunc(func(ctx context.Context, _ *Captcha) (CaptchaAnswer, error) {
			solved.Add(1)
			select {
			case <-time.After(time.Duration(rand.N(3)) * time.Millisecond):
				return CaptchaAnswer{Key: "k"}, nil
			case <-ctx.Done():
				return CaptchaAnswer{}, ctx.Err()
			}
		})))
	defer c.Close()
	const n = 30
	outs := make([]int, n)
	b := c.Batch()
	calls := make([]*BatchCall, n)
	for i := range n {
		calls[i] = b.Add("users.get", Params{"user_ids": i + 1}, &outs[i])
	}
	ctx := randomCancel(t, 8*time.Millisecond)
	_ = b.Do(ctx)
	for i, bc := range calls {
		if bc.Err != nil {
			outs[i] = -1 // a write of the client after Do would race
		}
	}
	for i, bc := range calls {
		switch {
		case bc.Err == nil && outs[i] != 1:
			t.Errorf("call %d: no error but out %d", i, outs[i])
		case bc.Err != nil && !errors.Is(bc.Err, context.Canceled) && !errors.Is(bc.Err, vkerr.Captcha):
			t.Errorf("call %d: %v", i, bc.Err)
		}
	}
}

// TestRefreshSurvivesFirstCallerCancel: the call that starts a token
// refresh gives up while other calls wait for the same refresh; the
// refresh goes on, the others get the new token, and the token never
// leaves the pool.
func TestRefreshSurvivesFirstCallerCancel(t *testing.T) {
	const old, fresh = "oldTokenValue1", "freshTokenValue2"
	f := newFakeVK(t, func(r fakeReq) reply {
		if r.Token != fresh {
			return errReply(5, "User authorization failed: access_token has expired.", nil)
		}
		return ok(1)
	})
	started, release := make(chan struct{}), make(chan struct{})
	var refreshes atomic.Int32
	c := New(old, WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLimit(Limit{Off: true}), WithRetry(fastRetry),
		WithTokenRefresher(TokenRefresherFunc(func(ctx context.Context, r *Refresh) (string, error) {
			if refreshes.Add(1) == 1 {
				close(started)
			}
			select {
			case <-release:
				return fresh, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})))
	defer c.Close()
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { firstErr <- c.Call(first, "users.get", nil, nil) }()
	<-started
	// Others join the refresh under way; then the first caller gives up.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { errs[i] = c.Call(context.Background(), "users.get", nil, nil) })
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v", err)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
		t.Fatalf("after: %v", err)
	}
	if n := refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1 shared", n)
	}
}

// TestRefreshRandomCancelKeepsToken: callers cancel at random points
// around a refresh that fails or succeeds; no context error and no hook
// error ever takes the token out of the pool.
func TestRefreshRandomCancelKeepsToken(t *testing.T) {
	const old, fresh = "oldTokenValue1", "freshTokenValue2"
	var valid atomic.Value
	valid.Store(fresh)
	f := newFakeVK(t, func(r fakeReq) reply {
		if r.Token != valid.Load().(string) {
			return errReply(5, "User authorization failed: access_token has expired.", nil)
		}
		return reply{body: `{"response":1}`, delay: time.Duration(rand.N(2)) * time.Millisecond}
	})
	var n atomic.Int32
	c := New(old, WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLimit(Limit{Off: true}), WithRetry(fastRetry),
		WithTokenRefresher(TokenRefresherFunc(func(ctx context.Context, r *Refresh) (string, error) {
			select {
			case <-time.After(time.Duration(rand.N(3)) * time.Millisecond):
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if n.Add(1)%2 == 1 {
				return "", errors.New("refresh endpoint down")
			}
			return fresh, nil
		})))
	defer c.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := c.Call(randomCancel(t, 4*time.Millisecond), "users.get", nil, nil)
			if errors.Is(err, ErrNoTokens) || errors.As(err, new(*TokenError)) {
				t.Errorf("the token left the pool: %v", err)
			}
		})
	}
	wg.Wait()
	// Whatever happened, the pool still has its token: a call with time
	// enough gets through (refreshing if the token is still the old one).
	for range 3 {
		if err := c.Call(context.Background(), "users.get", nil, nil); err == nil {
			return
		} else if errors.Is(err, ErrNoTokens) {
			t.Fatalf("after: %v", err)
		}
	}
	t.Fatal("no call got through")
}
