package vkapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// messageStore is the part of VK's messages.send that matters for
// exactly-once delivery: a message per (peer, random_id), and a repeat of
// the same random_id returns the first message's id without sending again.
type messageStore struct {
	mu     sync.Mutex
	byKey  map[string]int // peer/random_id → message id
	byPeer map[string]int // peer → messages delivered
	nextID int
}

func (s *messageStore) send(peer, randomID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if randomID != "" && randomID != "0" {
		if id, ok := s.byKey[peer+"/"+randomID]; ok {
			return id
		}
	}
	s.nextID++
	if randomID != "" && randomID != "0" {
		s.byKey[peer+"/"+randomID] = s.nextID
	}
	s.byPeer[peer]++
	return s.nextID
}

// TestChaosExactlyOnce sends 10,000 messages to distinct random peers
// through a server that fails 20% of requests (transient API errors before
// acting; 5xx pages, resets and truncated bodies after acting; latency):
// every message must arrive exactly once, with no panic, in bounded time.
//
// The server is a wire-faithful fake; see the package's report for moving
// this test onto vkmock's message store (vkmock part 2).
func TestChaosExactlyOnce(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	store := &messageStore{byKey: map[string]int{}, byPeer: map[string]int{}}
	var faults [6]atomic.Int64
	f := newFakeVK(t, func(r fakeReq) reply {
		if r.Method != "messages.send" {
			return errReply(3, "Unknown method passed", nil)
		}
		peer := r.Form.Get("peer_id")
		x := rand.Float64()
		switch {
		case x < 0.04:
			faults[0].Add(1)
			return errReply(10, "Internal server error: Unknown error, try later", nil)
		case x < 0.07:
			faults[1].Add(1)
			return errReply(1, "Unknown error occurred", nil)
		}
		id := store.send(peer, r.Form.Get("random_id"))
		switch {
		case x < 0.11:
			faults[2].Add(1)
			return reply{status: 502, ctype: "text/html", body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"}
		case x < 0.15:
			faults[3].Add(1)
			return reply{reset: true}
		case x < 0.17:
			faults[4].Add(1)
			return reply{body: `{"response":` + strconv.Itoa(id) + `}` + "          ", truncate: true}
		case x < 0.20:
			faults[5].Add(1)
			return reply{body: `{"response":` + strconv.Itoa(id) + `}`, delay: time.Duration(1+rand.IntN(20)) * time.Millisecond}
		}
		return reply{body: `{"response":` + strconv.Itoa(id) + `}`}
	})
	c := New("group-token", WithBaseURL(f.URL()), WithTokenKind(KindGroup),
		WithLimit(Limit{Per: 10 * time.Millisecond, Group: 1000}),
		WithRetry(RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 30 * time.Second, AttemptTimeout: 5 * time.Second}))
	peers := make([]int64, n)
	seen := map[int64]bool{}
	for i := range peers {
		for {
			p := 2_000_000_000 + rand.Int64N(1_000_000_000)
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
	jobs := make(chan int64)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				var id int
				err := c.Call(ctx, "messages.send", Params{"peer_id": p, "message": "hello"}, &id)
				if err != nil || id == 0 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("peer %d: %v (id %d)", p, err, id))
				}
			}
		}()
	}
	for _, p := range peers {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		t.Errorf("%d calls failed; first: %v", failed.Load(), firstErr.Load())
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.byPeer) != n {
		t.Errorf("%d peers got messages, want %d", len(store.byPeer), n)
	}
	dups := 0
	for _, k := range store.byPeer {
		if k != 1 {
			dups++
		}
	}
	if dups > 0 {
		t.Errorf("%d peers got more than one message", dups)
	}
	total := f.count()
	if total < n || float64(total) > float64(n)*1.5 {
		t.Errorf("%d requests for %d messages", total, n)
	}
	if elapsed > 90*time.Second {
		t.Errorf("took %v", elapsed)
	}
	var fs []int64
	for i := range faults {
		fs = append(fs, faults[i].Load())
	}
	t.Logf("%d messages, %d requests, faults [10, 1, 502, reset, truncated, latency] = %v, %v", n, total, fs, elapsed)
}
