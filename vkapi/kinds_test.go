package vkapi

import (
	"context"
	"errors"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestTokenKindDetected: without WithTokenKind, each token's kind is
// learnt with one groups.getTokenPermissions, once, before the first
// request; a kind given by an option is not asked.
func TestTokenKindDetected(t *testing.T) {
	for _, tc := range []struct {
		mock vkmock.TokenKind
		want TokenKind
	}{{vkmock.TokenGroup, KindGroup}, {vkmock.TokenUser, KindUser}, {vkmock.TokenService, KindService}} {
		s := vkmocktest.NewServer(t)
		c := New(s.Tokens().Of(tc.mock).Token, WithBaseURL(s.URL()))
		for range 2 { // with the detection, within the user budget of 3/s
			if err := c.Call(context.Background(), "utils.getServerTime", nil, nil); err != nil {
				t.Fatalf("%s: %v", tc.mock, err)
			}
		}
		c.Close()
		if k := c.pool.entries[0].kind; k != tc.want {
			t.Errorf("%s: detected %v", tc.mock, k)
		}
		if n := len(s.Requests().Of(detectMethod)); n != 1 {
			t.Errorf("%s: %d detection requests", tc.mock, n)
		}
	}
	// A mixed pool: the kind given is kept, the other detected.
	s := vkmocktest.NewServer(t)
	c := New("", WithBaseURL(s.URL()), WithTokensOfKind(KindUser, s.Tokens().Of(vkmock.TokenUser).Token),
		WithTokens(s.Tokens().Of(vkmock.TokenGroup).Token))
	defer c.Close()
	if err := c.Call(context.Background(), "utils.getServerTime", nil, nil); err != nil {
		t.Fatal(err)
	}
	if a, b := c.pool.entries[0].kind, c.pool.entries[1].kind; a != KindUser || b != KindGroup {
		t.Errorf("mixed pool: %v, %v", a, b)
	}
	recs := s.Requests().Of(detectMethod)
	if len(recs) != 1 || recs[0].TokenKind != vkmock.TokenGroup {
		t.Errorf("mixed pool: %d detection requests", len(recs))
	}
}

// TestTokenKindGivenNotDetected: WithTokenKind skips the detection.
func TestTokenKindGivenNotDetected(t *testing.T) {
	s := vkmocktest.NewServer(t)
	c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup))
	defer c.Close()
	if err := c.Call(context.Background(), "utils.getServerTime", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests().Of(detectMethod)); n != 0 {
		t.Fatalf("%d detection requests", n)
	}
}

// TestTokenKindDetectionSurvivesCanceledCaller: the call that starts the
// detection gives up; the detection goes on (detached), and the next
// call finds the kind without asking again.
func TestTokenKindDetectionSurvivesCanceledCaller(t *testing.T) {
	release := make(chan struct{})
	f := newFakeVK(t, func(r fakeReq) reply {
		if r.Method == detectMethod {
			<-release
			return ok(map[string]any{"mask": 4096, "permissions": []any{}})
		}
		return ok(1)
	})
	f.recordDetect = true
	c := New("tok", WithBaseURL(f.URL()))
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, "users.get", nil, nil) }()
	waitUntil(t, func() bool { return f.count() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	b := c.Batch()
	b.Add("users.get", nil, nil)
	doCtx, doCancel := context.WithCancel(context.Background())
	doCancel()
	if err := b.Do(doCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Batch.Do while detecting: %v", err)
	}
	close(release)
	if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
		t.Fatal(err)
	}
	if k := c.pool.entries[0].kind; k != KindGroup {
		t.Fatalf("kind %v", k)
	}
	n := 0
	for _, r := range f.requests() {
		if r.Method == detectMethod {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d detections", n)
	}
}
