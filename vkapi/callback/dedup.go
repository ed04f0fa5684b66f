package callback

import (
	"context"
	"sync"
)

// ClaimStatus is what Dedup.Claim found for an event_id.
type ClaimStatus int

const (
	// Claimed: the id was free and this call claimed it; the caller
	// handles the event, then calls Finish (handled) or Release (not).
	Claimed ClaimStatus = iota
	// InFlight: another delivery of the id holds the claim and has not
	// finished: the event may still fail, so this delivery must not be
	// answered "ok".
	InFlight
	// Finished: the event was handled (or, with Config.AtMostOnce,
	// queued): a resend is answered "ok" and not handled again.
	Finished
)

func (s ClaimStatus) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case InFlight:
		return "in flight"
	case Finished:
		return "finished"
	}
	return "unknown"
}

// Dedup remembers the event_ids a receiver handles, so that a resend is
// answered "ok" without handling the event again. A claim is first in
// flight and becomes final (Finish) only once its handler returned nil;
// a failed, panicked or timed-out handler releases it (Release), so that
// VK's resend is handled. Implementations must be safe for concurrent
// use; vkapi/callback/redisdedup shares the claims of several replicas
// through Redis, and lets the in-flight claim of a replica that died
// expire.
type Dedup interface {
	// Claim claims id when it is free (Claimed), or tells how it is
	// held. An error means the answer is unknown: the receiver answers
	// 503 and VK sends the event again.
	Claim(ctx context.Context, id string) (ClaimStatus, error)
	// Finish makes a claim final: the event was handled.
	Finish(ctx context.Context, id string) error
	// Release forgets a claim whose event was not handled, so that its
	// resend is.
	Release(ctx context.Context, id string) error
}

// DefaultDedupWindow is the number of event_ids NewMemoryDedup(0)
// remembers.
const DefaultDedupWindow = 100_000

// MemoryDedup is a Dedup of one process that remembers the last window
// event_ids claimed; an older one is forgotten (VK stops resending an
// event after a few hours, long before a busy community sends a window of
// others). Its claims die with the process, in flight or final: after a
// restart, VK's resends are handled again. Its zero value is not usable:
// use NewMemoryDedup.
type MemoryDedup struct {
	mu     sync.Mutex
	seen   map[string]entry // id -> its claim
	ring   []claim          // the claims, oldest at next once full
	next   int
	seq    uint64
	window int
}

type entry struct {
	seq      uint64
	finished bool
}

// NewMemoryDedup returns a MemoryDedup of window ids (DefaultDedupWindow
// when window <= 0).
func NewMemoryDedup(window int) *MemoryDedup {
	if window <= 0 {
		window = DefaultDedupWindow
	}
	return &MemoryDedup{seen: make(map[string]entry), window: window}
}

type claim struct {
	id  string
	seq uint64
}

// Claim implements Dedup; it never fails.
func (d *MemoryDedup) Claim(_ context.Context, id string) (ClaimStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.seen[id]; ok {
		if e.finished {
			return Finished, nil
		}
		return InFlight, nil
	}
	d.addLocked(id, false)
	return Claimed, nil
}

// addLocked records a claim of id, evicting the oldest once the window is
// full.
func (d *MemoryDedup) addLocked(id string, finished bool) {
	d.seq++
	c := claim{id: id, seq: d.seq}
	if len(d.ring) < d.window {
		d.ring = append(d.ring, c)
	} else {
		// The oldest claim goes, unless it was released and claimed again
		// since (its id then has a newer claim further on).
		if old := d.ring[d.next]; d.seen[old.id].seq == old.seq {
			delete(d.seen, old.id)
		}
		d.ring[d.next] = c
		d.next = (d.next + 1) % d.window
	}
	d.seen[id] = entry{seq: c.seq, finished: finished}
}

// Finish implements Dedup; an id no longer remembered is recorded again,
// as final.
func (d *MemoryDedup) Finish(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.seen[id]; ok {
		e.finished = true
		d.seen[id] = e
		return nil
	}
	d.addLocked(id, true)
	return nil
}

// Release implements Dedup: a new claim of the id is accepted at once.
// A final claim stays: the event was handled.
func (d *MemoryDedup) Release(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.seen[id]; ok && !e.finished {
		delete(d.seen, id)
	}
	return nil
}

// Len returns the number of event_ids remembered.
func (d *MemoryDedup) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
