package callback

import (
	"context"
	"sync"
)

// Dedup remembers the event_ids a receiver accepted, so that a resend is
// answered "ok" without handling the event again. Implementations must be
// safe for concurrent use; vkapi/callback/redisdedup shares the memory of
// several replicas through Redis.
type Dedup interface {
	// Claim records id and reports whether it is new (true) or was
	// claimed before (false). An error means the answer is unknown: the
	// receiver answers 503 and VK sends the event again.
	Claim(ctx context.Context, id string) (bool, error)
	// Release forgets a claim whose event was not accepted after all (the
	// queue was full), so that its resend is handled.
	Release(ctx context.Context, id string) error
}

// DefaultDedupWindow is the number of event_ids NewMemoryDedup(0)
// remembers.
const DefaultDedupWindow = 100_000

// MemoryDedup is a Dedup of one process that remembers the last window
// event_ids; an older one is forgotten (VK stops resending an event after
// a few hours, long before a busy community sends a window of others).
// Its zero value is not usable: use NewMemoryDedup.
type MemoryDedup struct {
	mu     sync.Mutex
	seen   map[string]uint64 // id -> the sequence number of its claim
	ring   []claim           // the claims, oldest at next once full
	next   int
	seq    uint64
	window int
}

// NewMemoryDedup returns a MemoryDedup of window ids (DefaultDedupWindow
// when window <= 0).
func NewMemoryDedup(window int) *MemoryDedup {
	if window <= 0 {
		window = DefaultDedupWindow
	}
	return &MemoryDedup{seen: make(map[string]uint64), window: window}
}

type claim struct {
	id  string
	seq uint64
}

// Claim implements Dedup; it never fails.
func (d *MemoryDedup) Claim(_ context.Context, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return false, nil
	}
	d.seq++
	c := claim{id: id, seq: d.seq}
	if len(d.ring) < d.window {
		d.ring = append(d.ring, c)
	} else {
		// The oldest claim goes, unless it was released and claimed again
		// since (its id then has a newer claim further on).
		if old := d.ring[d.next]; d.seen[old.id] == old.seq {
			delete(d.seen, old.id)
		}
		d.ring[d.next] = c
		d.next = (d.next + 1) % d.window
	}
	d.seen[id] = c.seq
	return true, nil
}

// Release implements Dedup: a new claim of the id is accepted at once.
func (d *MemoryDedup) Release(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
	return nil
}

// Len returns the number of event_ids remembered.
func (d *MemoryDedup) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
