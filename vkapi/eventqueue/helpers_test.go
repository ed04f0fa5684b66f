package eventqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/vkevent"
)

// newRedis gives the test a Redis and a queue name no other test uses.
func newRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb := redistest.Client(t, redistest.Addr(t))
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		keys, _ := rdb.Keys(ctx, "{vkq:"+name+"}*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, name
}

// messageNew is a message_new event from peer with text, with a unique id.
func messageNew(peer int64, seq int) *vkevent.Event {
	obj, _ := json.Marshal(map[string]any{"message": map[string]any{
		"id": seq, "date": 1700000000, "peer_id": peer, "from_id": peer, "text": fmt.Sprint(seq),
	}})
	return &vkevent.Event{Type: vkevent.TypeMessageNew, EventID: fmt.Sprintf("ev-%d-%d", peer, seq), GroupID: 1, V: "5.199", Object: obj}
}

// record is a handler that records what it handled, per peer, and
// signals when total events were handled once each.
type record struct {
	mu      sync.Mutex
	byPeer  map[int64][]int
	seen    map[string]int
	total   int
	done    chan struct{}
	closed  bool
	failFor func(e *vkevent.Event) error
}

func newRecord(total int) *record {
	return &record{byPeer: map[int64][]int{}, seen: map[string]int{}, total: total, done: make(chan struct{})}
}

func (r *record) HandleEvent(_ context.Context, e *vkevent.Event) error {
	if r.failFor != nil {
		if err := r.failFor(e); err != nil {
			return err
		}
	}
	f, ok := e.MessageFields()
	if !ok {
		return fmt.Errorf("not a message: %s", e.Type)
	}
	var seq int
	fmt.Sscan(f.Text, &seq)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byPeer[f.PeerID] = append(r.byPeer[f.PeerID], seq)
	r.seen[e.EventID]++
	if len(r.seen) == r.total && !r.closed {
		r.closed = true
		close(r.done)
	}
	return nil
}

// wait waits until every event was handled, or fails the test.
func (r *record) wait(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("handled %d of %d events in %s", len(r.seen), r.total, d)
	}
}

// checkOrder fails the test when some peer's events were handled out of
// order (a repeat of the event just before is allowed: at least once).
func (r *record) checkOrder(t *testing.T) (repeats int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for peer, seqs := range r.byPeer {
		last := -1
		for _, s := range seqs {
			switch {
			case s > last:
				last = s
			case s == last:
			default:
				t.Fatalf("peer %d: %d handled after %d: %v", peer, s, last, seqs)
			}
		}
	}
	for _, n := range r.seen {
		repeats += n - 1
	}
	return repeats
}

// runConsumer starts c.Run and returns a function that closes c and
// returns Run's error.
func runConsumer(t testing.TB, c *Consumer) func() error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(context.Background()) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			_ = c.Close()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
