package redisdedup

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkevent"
)

// A claim is in flight for every Dedup until finished (then final for
// TTL) or released by the Dedup that made it; an in-flight claim of a
// Dedup that died expires after ClaimTTL.
func TestClaimAcrossClients(t *testing.T) {
	t.Parallel()
	addr := testRedisAddr(t)
	ctx := context.Background()
	p := testPrefix(t)
	a := New(testClient(t, addr), Options{Prefix: p, TTL: time.Minute, ClaimTTL: 10 * time.Second})
	b := New(testClient(t, addr), Options{Prefix: p, TTL: time.Minute})
	claim := func(d *Dedup, id string, want callback.ClaimStatus) {
		t.Helper()
		if st, err := d.Claim(ctx, id); st != want || err != nil {
			t.Fatalf("claim of %s: %v %v, want %v", id, st, err, want)
		}
	}
	pttl := func(id string) time.Duration {
		t.Helper()
		ttl, err := testClient(t, addr).PTTL(ctx, p+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		return ttl
	}
	claim(a, "e1", callback.Claimed)
	claim(b, "e1", callback.InFlight)
	claim(a, "e1", callback.InFlight)
	if ttl := pttl("e1"); ttl <= 0 || ttl > 10*time.Second {
		t.Fatalf("in-flight ttl %v", ttl)
	}
	if err := b.Release(ctx, "e1"); err != nil { // not b's claim: stays
		t.Fatal(err)
	}
	claim(b, "e1", callback.InFlight)
	if err := a.Release(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	claim(b, "e1", callback.Claimed)
	if err := b.Finish(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	claim(a, "e1", callback.Finished)
	if ttl := pttl("e1"); ttl <= 10*time.Second || ttl > time.Minute {
		t.Fatalf("final ttl %v", ttl)
	}
	if err := b.Release(ctx, "e1"); err != nil { // final: stays
		t.Fatal(err)
	}
	claim(a, "e1", callback.Finished)

	// The claim of a replica that died expires.
	short := New(testClient(t, addr), Options{Prefix: p, ClaimTTL: time.Millisecond})
	claim(short, "e2", callback.Claimed)
	deadline := time.Now().Add(5 * time.Second)
	for { // Redis expires keys on its own clock: poll it
		st, err := b.Claim(ctx, "e2")
		if err != nil {
			t.Fatal(err)
		}
		if st == callback.Claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an in-flight claim did not expire: %v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
	// A key of an older version ("1") counts as final.
	if err := testClient(t, addr).Set(ctx, p+"old", 1, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	claim(a, "old", callback.Finished)
}

func TestRedisDown(t *testing.T) {
	t.Parallel()
	d := New(testClient(t, "127.0.0.1:1"), Options{})
	if _, err := d.Claim(context.Background(), "e"); err == nil {
		t.Fatal("no error without Redis")
	}
}

// Two receivers sharing the Redis de-duplication: the same event posted
// to both, concurrently, is handled once; the other delivery is answered
// ok when the first had finished, 503 (VK resends) when it was in flight.
func TestReplicasHandleOnce(t *testing.T) {
	t.Parallel()
	addr := testRedisAddr(t)
	p := testPrefix(t)
	var mu sync.Mutex
	handled := map[string]int{}
	h := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
		mu.Lock()
		handled[e.EventID]++
		mu.Unlock()
		return nil
	})
	var rs []*callback.Receiver
	for range 2 {
		r, err := callback.New(callback.Config{Handler: h, Dedup: New(testClient(t, addr), Options{Prefix: p})})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var wg sync.WaitGroup
	oks := map[string]int{}
	for i := range 200 {
		id := "ev" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		for _, r := range rs {
			wg.Go(func() {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"type":"group_join","group_id":1,"event_id":"`+id+`","object":{"user_id":1}}`)))
				switch {
				case w.Code == 200 && w.Body.String() == "ok":
					mu.Lock()
					oks[id]++
					mu.Unlock()
				case w.Code == 503:
				default:
					t.Errorf("%s: %d %q", id, w.Code, w.Body.String())
				}
			})
		}
	}
	wg.Wait()
	for _, r := range rs {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(handled) != 200 {
		t.Fatalf("%d events handled", len(handled))
	}
	for id, n := range handled {
		if n != 1 || oks[id] == 0 {
			t.Errorf("%s handled %d times, answered ok %d times", id, n, oks[id])
		}
	}
}
