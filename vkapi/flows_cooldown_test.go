package vkapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// The cooldowns against vkmock: the flood and quota rules, counted on the
// mock's clock.

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
