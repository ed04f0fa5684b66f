package vkapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// chaosFaults are the fault rules of the chaos test, about 20% of the
// requests in all. "before" rules answer instead of the method (it does not
// act); "after" rules spoil the answer of a method that has acted: the
// message is stored and its answer lost, so only the idempotency key keeps a
// resend from delivering it twice.
var chaosFaults = []vkmock.Fault{
	{ID: "before-10", Probability: 0.04, Error: &vkerr.Error{Code: vkerr.Server}},
	{ID: "before-1", Probability: 0.02, Error: &vkerr.Error{Code: vkerr.Unknown}},
	{ID: "before-503", Probability: 0.01, HTTPStatus: 503},
	{ID: "before-reset", Probability: 0.01, Effect: "reset"},
	{ID: "after-502", Phase: "after", Probability: 0.03, HTTPStatus: 502},
	{ID: "after-reset", Phase: "after", Probability: 0.03, Effect: "reset"},
	{ID: "after-truncate", Phase: "after", Probability: 0.02, Effect: "truncate"},
	{ID: "after-10", Phase: "after", Probability: 0.02, Error: &vkerr.Error{Code: vkerr.Server}},
	{ID: "after-latency", Phase: "after", Probability: 0.03, Latency: &vkmock.Latency{Dist: "uniform", MinMS: 1, MaxMS: 30}},
}

// TestChaosExactlyOnce sends 10,000 messages to distinct random peers
// through vkmock with about 20% of the requests failing (transient errors 1
// and 10, 5xx pages, resets, truncated bodies, latency; before the message
// is stored and after), on a pool of four tokens of one community: every
// message is delivered exactly once, as vkmock's message store shows, each
// caller gets the id of its stored message, with no panic, in bounded time.
func TestChaosExactlyOnce(t *testing.T) {
	t.Parallel() // CPU under -race: beside the tests that wait
	synctest.Test(t, func(t *testing.T) {
		n := 10000
		switch {
		case testing.Short():
			n = 1000
		case raceOn:
			// The race detector makes this CPU-bound run about ten times
			// slower; 2,000 messages still meet some 400 faults of every kind.
			n = 2000
		}
		// The mock's rate limits are off so that 10,000 calls take seconds; the
		// client's limiter stays in the path with a budget it never reaches.
		s := memMock(t, vkmock.WithRateLimits(false), vkmock.WithRequestLogSize(3*n))
		tokens := []string{s.Tokens().Of(vkmock.TokenGroup).Token}
		for range 3 {
			tk, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenGroup, GroupID: vkmock.DefaultGroupID})
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tk.Token)
		}
		for _, f := range chaosFaults {
			f.Method = "messages.send"
			addFault(t, s, f)
		}
		c := New(tokens[0], WithTokens(tokens[1:]...), WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup),
			WithLimit(Limit{Per: 10 * time.Millisecond, Group: 1000}),
			WithRetry(RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond,
				MaxElapsed: 30 * time.Second, AttemptTimeout: 5 * time.Second}))

		// Distinct peers: users outside the world's special ids, and chats.
		peers := make([]int64, n)
		seen := map[int64]bool{}
		for i := range peers {
			for {
				p := 1_000_000_000 + rand.Int64N(vkmock.MaxUserID-1_000_000_000)
				if i%2 == 1 {
					p = vkmock.ChatPeerBase + 1 + rand.Int64N(100_000_000)
				}
				if !seen[p] {
					seen[p] = true
					peers[i] = p
					break
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		jobs := make(chan int)
		ids := make([]int64, n)
		var wg sync.WaitGroup
		var failed atomic.Int64
		var firstErr atomic.Value
		for range 50 {
			wg.Go(func() {
				for i := range jobs {
					err := c.Call(ctx, "messages.send", Params{"peer_id": peers[i], "message": fmt.Sprintf("chaos %d", i)}, &ids[i])
					if err != nil || ids[i] == 0 {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("peer %d: %v (id %d)", peers[i], err, ids[i]))
					}
				}
			})
		}
		for i := range peers {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		elapsed := time.Since(start)
		if failed.Load() > 0 {
			t.Errorf("%d calls failed; first: %v", failed.Load(), firstErr.Load())
		}

		// The mock's store: one message per peer, the one its caller was told.
		ms := s.World().Messages()
		byPeer := map[int64][]vkmock.Message{}
		for _, m := range ms {
			byPeer[m.PeerID] = append(byPeer[m.PeerID], m)
		}
		if len(ms) != n || len(byPeer) != n {
			t.Errorf("%d messages to %d peers, want %d", len(ms), len(byPeer), n)
		}
		dups, wrong := 0, 0
		for i, p := range peers {
			got := byPeer[p]
			switch {
			case len(got) > 1:
				dups++
			case len(got) == 0:
				// counted above
			case got[0].ID != ids[i] || got[0].Message != fmt.Sprintf("chaos %d", i) || got[0].RandomID == 0 ||
				got[0].FromID != -vkmock.DefaultGroupID:
				wrong++
				if wrong == 1 {
					t.Errorf("peer %d: stored %+v, the caller got id %d", p, got[0], ids[i])
				}
			}
		}
		if dups > 0 || wrong > 0 {
			t.Errorf("%d peers got more than one message, %d a wrong one", dups, wrong)
		}

		// The faults did fire, at about the rate intended, "after" ones too.
		recs := s.Requests().All()
		total := len(recs)
		fired := map[string]int64{}
		var faulted int64
		for _, f := range s.Faults().List() {
			fired[f.ID] = f.Fired
			faulted += f.Fired
		}
		for _, f := range chaosFaults {
			if fired[f.ID] == 0 {
				t.Errorf("fault %s never fired", f.ID)
			}
		}
		share := float64(faulted) / float64(total)
		if share < 0.15 || share > 0.26 {
			t.Errorf("%.1f%% of %d requests faulted, want about 20%%", 100*share, total)
		}
		if total < n || total > n*3/2 {
			t.Errorf("%d requests for %d messages", total, n)
		}
		if elapsed > 60*time.Second {
			t.Errorf("took %v", elapsed)
		}
		t.Logf("%d messages, %d requests (%.1f%% faulted: %v), %v", n, total, 100*share, fired, elapsed.Round(time.Millisecond))
	})
}
