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

func TestClaimAcrossClients(t *testing.T) {
	addr := testRedisAddr(t)
	ctx := context.Background()
	p := testPrefix(t)
	a := New(testClient(t, addr), Options{Prefix: p, TTL: time.Minute})
	b := New(testClient(t, addr), Options{Prefix: p, TTL: time.Minute})
	if ok, err := a.Claim(ctx, "e1"); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, err := b.Claim(ctx, "e1"); ok || err != nil {
		t.Fatalf("claim on another replica: %v %v", ok, err)
	}
	ttl, err := testClient(t, addr).PTTL(ctx, p+"e1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl %v %v", ttl, err)
	}
	if err := a.Release(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Claim(ctx, "e1"); !ok || err != nil {
		t.Fatalf("claim after release: %v %v", ok, err)
	}
}

func TestRedisDown(t *testing.T) {
	d := New(testClient(t, "127.0.0.1:1"), Options{})
	if _, err := d.Claim(context.Background(), "e"); err == nil {
		t.Fatal("no error without Redis")
	}
}

// Two receivers sharing the Redis de-duplication: the same event posted
// to both, concurrently, is handled once.
func TestReplicasHandleOnce(t *testing.T) {
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
	for i := range 200 {
		id := "ev" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		for _, r := range rs {
			wg.Go(func() {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"type":"group_join","group_id":1,"event_id":"`+id+`","object":{"user_id":1}}`)))
				if w.Body.String() != "ok" {
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
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
}
