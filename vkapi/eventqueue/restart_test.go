package eventqueue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/soak"
)

// TestRedisRestarted: Redis killed and started again from its append-only
// file in the middle of the run: producers wait and append again, the
// consumers retry with backoff, and no event is lost.
func TestRedisRestarted(t *testing.T) {
	noLeaks(t)
	const peers = 50
	per := 20
	if soak.Enabled() {
		per = 200
	}
	total := peers * per
	// A redis-server of the test's own with its append-only file fsynced
	// at every write: what it acknowledged survives SIGKILL.
	srv := redistest.StartServer(t, "--dir", t.TempDir(), "--appendonly", "yes", "--appendfsync", "always")
	client := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	opts := Options{Name: "restart", Partitions: 16}
	r := newRecord(total)
	for i := range 2 {
		c, err := NewConsumer(client(), Config{Options: opts, Consumer: fmt.Sprint("c", i), Handler: r, LeaseTTL: time.Second, ReadBlock: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		runConsumer(t, c)
	}
	prod, err := NewProducer(client(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// Each peer writes its messages in order, one at a time, one each
	// 10 ms (the arrival of events, so that appending goes on across the
	// restart), as a Long Poll poller hands them to the producer.
	var appended atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, peers)
	for p := range int64(peers) {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for seq := range per {
				<-tick.C
				if err := prod.HandleEvent(ctx, messageNew(3000000+p, seq)); err != nil {
					errs <- err
					return
				}
				appended.Add(1)
			}
		})
	}
	// Restart Redis when part of the events are handled.
	handled := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.seen)
	}
	waitUntil(t, 30*time.Second, "a part of the events to be appended", func(context.Context) (bool, error) {
		return appended.Load() >= int64(total*2/5), nil
	}, func() string { return fmt.Sprint(appended.Load(), " appended") })
	before, atKill := appended.Load(), handled()
	srv.Kill()
	down := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	outage := time.Since(down)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("HandleEvent: %v", err)
	}
	r.wait(t, 60*time.Second)
	repeats := r.checkOrder(t)
	st := waitDrained(t, client(), opts, 30*time.Second)
	t.Logf("%d events from %d peers; Redis killed with %d appended and %d handled, back after %s; 0 lost, %d handled twice, dead %d",
		total, peers, before, atKill, outage.Round(time.Millisecond), repeats, st.Dead)
}
