package vkapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// TestTooManyResendsOutsideMaxAttempts: 20 errors 6 in a row (a vkmock
// fault rule, times 20) on a community token, with the default retry
// policy: the call succeeds, since an error 6 means the server did nothing
// and its resends do not count against MaxAttempts. The limiter's window
// is short here so that the test is quick; BenchmarkTooMany20InARow
// measures the time to success with every default.
func TestTooManyResendsOutsideMaxAttempts(t *testing.T) {
	s := vkmock.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 20, Error: &vkerr.Error{Code: vkerr.TooMany}})
	c := New(s.Token(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithLimit(Limit{Per: 10 * time.Millisecond}))
	defer c.Close()
	var users []struct{ ID int64 }
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, &users); err != nil || len(users) != 1 {
		t.Fatalf("%v %v", err, users)
	}
	if n := len(mockRecords(s, "users.get")); n != 21 {
		t.Fatalf("%d requests, want 21", n)
	}
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
