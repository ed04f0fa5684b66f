package longpoll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// Position is where a community's poller resumes: the ts of the answer it
// is handling and the events of that answer whose handler has returned.
// Progress is recorded per event, not per answer, so a poller that stops
// (a restart, a crash, a takeover by another replica) in the middle of an
// answer does not hand the events already handled to the handler again.
type Position struct {
	// TS is the ts the next a_check asks from; "" when none was saved.
	TS string
	// Handled are the keys of the events of the answer at TS whose handler
	// has returned (in any order with Concurrency > 1): the event_id, or
	// "#i" for the i-th event of the answer when it has none. A poller
	// resuming from this position skips them. Empty once every event of
	// the answer was handled and TS moved past it.
	Handled []string
	// PTS is User Long Poll's pts (vkapi/userlongpoll keeps its position in
	// the same stores); 0 for Bots Long Poll.
	PTS int64
}

// ErrBadPosition is matched by the error of a store whose saved position
// cannot be read. The poller does not start from it: delete it (the file,
// the Redis key) to start from the server's ts, or restore a backup.
var ErrBadPosition = errors.New("longpoll: the saved position cannot be read")

// positionJSON is the stored form of a Position.
type positionJSON struct {
	TS      string   `json:"ts"`
	Handled []string `json:"handled,omitempty"`
	PTS     int64    `json:"pts,omitempty"`
}

// MarshalBinary encodes the position as the file and Redis stores keep it:
// {"ts":"42","handled":["id1","id2"]}.
func (p Position) MarshalBinary() ([]byte, error) {
	return json.Marshal(positionJSON(p))
}

// UnmarshalBinary decodes what MarshalBinary wrote, or a bare ts (what
// stores kept before progress was recorded per event).
func (p *Position) UnmarshalBinary(b []byte) error {
	b = bytes.TrimSpace(b)
	var j positionJSON
	if _, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		j.TS = string(b)
	} else if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: %q", ErrBadPosition, snip(b))
	}
	if n, err := strconv.ParseInt(j.TS, 10, 64); err != nil || n < 0 || j.PTS < 0 {
		return fmt.Errorf("%w: the ts %q is not a number", ErrBadPosition, snip([]byte(j.TS)))
	}
	*p = Position(j)
	return nil
}

func snip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// Store keeps the position a community's poller resumes from.
//
// The poller calls Save after each handler returns (Handled grown by that
// event, or by several at once with Concurrency > 1) and when it moves to a
// new ts (Handled empty), always from one goroutine. Save replaces the
// saved position as a whole and atomically: a crash leaves the old or the
// new position, never a mix. The poller never changes pos.Handled after
// passing it (it only appends to it, or starts a new slice), so a store may
// keep the slice without copying it.
type Store interface {
	// Load returns the saved position; the zero Position when none was saved.
	Load(ctx context.Context, groupID int64) (Position, error)
	// Save replaces the saved position with pos.
	Save(ctx context.Context, groupID int64, pos Position) error
}

// MemoryStore keeps the position in memory: a restart of the process
// starts from the server's ts. The zero value is ready.
type MemoryStore struct {
	mu  sync.Mutex
	pos map[int64]Position
}

// Load returns the saved position.
func (m *MemoryStore) Load(_ context.Context, groupID int64) (Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pos := m.pos[groupID]
	pos.Handled = slices.Clip(pos.Handled) // the poller's slice: appending to it copies
	return pos, nil
}

// Save keeps pos.
func (m *MemoryStore) Save(_ context.Context, groupID int64, pos Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pos == nil {
		m.pos = map[int64]Position{}
	}
	m.pos[groupID] = pos
	return nil
}
