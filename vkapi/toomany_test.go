package vkapi

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// TestTooManyResendsOutsideMaxAttempts: 20 errors 6 in a row (a vkmock
// fault rule, times 20) on a community token, with every default of the
// client: the call succeeds, since an error 6 means the server did nothing
// and its resends do not count against MaxAttempts. It runs under
// testing/synctest (the mock served in memory), so the twenty windows of
// the limiter's pauses take no real time; BenchmarkTooMany20InARow
// measures the real time to success.
func TestTooManyResendsOutsideMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		addFault(t, s, vkmock.Fault{Method: "users.get", Times: 20, Error: &vkerr.Error{Code: vkerr.TooMany}})
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)))
		defer c.Close()
		var users []struct{ ID int64 }
		start := time.Now()
		if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, &users); err != nil || len(users) != 1 {
			t.Fatalf("%v %v", err, users)
		}
		if n := len(s.Requests().Of("users.get")); n != 21 {
			t.Fatalf("%d requests, want 21", n)
		}
		t.Logf("success after %v of the fake clock", time.Since(start))
	})
}

// TestTooManyWithLimiterOffBoundedByTime: without the limiter, resends
// after error 6 back off, and MaxElapsed ends them, not MaxAttempts.
func TestTooManyWithLimiterOffBoundedByTime(t *testing.T) {
	f := newFakeVK(t, func(fakeReq) reply { return errReply(6, "Too many requests per second", nil) })
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLimit(Limit{Off: true}),
		WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxElapsed: 100 * time.Millisecond}))
	defer c.Close()
	err := c.Call(context.Background(), "users.get", nil, nil)
	if !errors.Is(err, vkerr.TooMany) {
		t.Fatal(err)
	}
	if n := f.count(); n <= 2 {
		t.Fatalf("%d requests: MaxAttempts capped the resends after 6", n)
	}
}

// TestRetryDefaultsExported: the zero policy takes the exported defaults.
func TestRetryDefaultsExported(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	if p.MaxAttempts != DefaultMaxAttempts || p.BaseDelay != DefaultBaseDelay || p.MaxDelay != DefaultMaxDelay ||
		p.MaxElapsed != DefaultMaxElapsed || p.AttemptTimeout != DefaultAttemptTimeout ||
		p.FloodCooldown != DefaultFloodCooldown || p.QuotaCooldown != DefaultQuotaCooldown || p.HookTimeout != DefaultHookTimeout {
		t.Fatalf("%+v", p)
	}
}
