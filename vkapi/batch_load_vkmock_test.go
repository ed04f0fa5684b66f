package vkapi

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// Batching under load against vkmock: messages sent exactly once under
// faults, the throughput of WithBatching, and batches not starved by
// direct calls.

// TestVKMockBatchMessagesExactlyOnce sends messages through WithBatching on
// a community token with vkmock's rate limits on, while inner calls fail
// before storing (error 10) and execute answers are lost after the script
// ran (502, reset, truncated): every message arrives once, and no error 6.
func TestVKMockBatchMessagesExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 500
		if testing.Short() {
			n = 150
		}
		s := memMock(t)
		addFault(t, s, vkmock.Fault{ID: "inner-10", Method: "messages.send", Probability: 0.1, Error: &vkerr.Error{Code: vkerr.Server}})
		// The first three execute answers are lost, then one in ten.
		addFault(t, s, vkmock.Fault{ID: "after-502", Method: "execute", Phase: "after", Times: 1, HTTPStatus: 502})
		addFault(t, s, vkmock.Fault{ID: "after-reset", Method: "execute", Phase: "after", Times: 1, Effect: "reset"})
		addFault(t, s, vkmock.Fault{ID: "after-truncate", Method: "execute", Phase: "after", Times: 1, Effect: "truncate"})
		addFault(t, s, vkmock.Fault{ID: "after-random", Method: "execute", Phase: "after", Probability: 0.1, HTTPStatus: 504})
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup),
			WithRetry(RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}),
			WithBatching(BatchOptions{MaxRetries: 8}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 100)
		for i := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				errs[i] = c.Call(ctx, "messages.send", Params{"peer_id": 5_000_000 + i, "message": fmt.Sprint("batched ", i)}, &ids[i])
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil || ids[i] == 0 {
				t.Fatalf("message %d: %v (id %d)", i, err, ids[i])
			}
		}
		byPeer := map[int64][]vkmock.Message{}
		for _, m := range s.World().Messages() {
			byPeer[m.PeerID] = append(byPeer[m.PeerID], m)
		}
		for i := range n {
			got := byPeer[int64(5_000_000+i)]
			if len(got) != 1 || got[0].ID != ids[i] || got[0].Message != fmt.Sprint("batched ", i) {
				t.Fatalf("peer %d: %+v, the caller got %d", 5_000_000+i, got, ids[i])
			}
		}
		if len(s.World().Messages()) != n {
			t.Errorf("%d messages for %d calls", len(s.World().Messages()), n)
		}
		recs := s.Requests().All()
		fired := map[string]int64{}
		for _, f := range s.Faults().List() {
			fired[f.ID] = f.Fired
		}
		for _, id := range []string{"inner-10", "after-502", "after-reset", "after-truncate"} {
			if fired[id] == 0 {
				t.Errorf("fault %s never fired", id)
			}
		}
		if n6 := countCode(recs, vkerr.TooMany); n6 != 0 {
			t.Errorf("%d errors 6", n6)
		}
		if len(s.Requests().Of("execute")) != len(recs) {
			t.Errorf("a message went alone")
		}
		t.Logf("%d messages in %d execute requests; faults %v", n, len(recs), fired)
	})
}

// TestVKMockBatchingThroughput is a short run of BenchmarkBatchingThroughput
// (200 callers of users.get through WithBatching on a community token,
// vkmock's strict rate limits on) that checks correctness only: every call
// answered, no error 6, every request an execute, batches nearly full. The
// throughput figure is the benchmark's (a machine under load cannot keep a
// rate in a test). It runs under testing/synctest, the mock served in
// memory: 2 s of the fake clock.
func TestVKMockBatchingThroughput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := 2 * time.Second
		r := runBatching(t, 200, d, BatchOptions{}, true)
		t.Logf("%d calls in %v: %.1f calls/s (%.1f%% of 500), %d executes of %.2f calls, %d errors 6",
			r.calls, r.elapsed.Round(time.Millisecond), r.perSecond(), r.perSecond()/5, r.executes, r.fill(), r.err6)
		if r.failed > 0 {
			t.Fatalf("%d failed calls: %v", r.failed, r.firstErr)
		}
		if r.err6 != 0 || r.requests != r.executes {
			t.Errorf("%d errors 6; %d requests, %d of them execute", r.err6, r.requests, r.executes)
		}
		if r.calls == 0 || r.fill() < 20 {
			t.Errorf("%d calls, %.2f calls per execute", r.calls, r.fill())
		}
	})
}

// TestVKMockBatchNotStarvedByDirectCalls: while the rate limiter is busy a
// partial batch waits for more calls, but not for ever: calls sent alone
// that keep the limiter's queue full do not hold it back for longer than
// one window of the rate limit.
func TestVKMockBatchNotStarvedByDirectCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t, vkmock.WithRateLimits(false))
		const per = 200 * time.Millisecond
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithLimit(Limit{Per: per}), WithBatching(BatchOptions{}))
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Second)
		defer stop()
		var wg sync.WaitGroup
		for range 6 { // twice the budget: the limiter always has a queue
			wg.Go(func() {
				for ctx.Err() == nil {
					_ = c.Call(ctx, "photos.saveWallPhoto", Params{"photo": "x", "server": 1, "hash": "h"}, nil)
				}
			})
		}
		time.Sleep(2 * per)
		start := time.Now()
		err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
		waited := time.Since(start)
		stop()
		wg.Wait()
		if err != nil || waited > 7*per {
			t.Fatalf("users.get: %v after %v", err, waited)
		}
		t.Logf("a batch of one waited %v behind calls sent alone", waited)
	})
}
