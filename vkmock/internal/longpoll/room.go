// Package longpoll is vkmock's Bots Long Poll room: each community's Long
// Poll settings, keys and event history, the a_check answer (updates, or
// {"failed":1|2|3} and the forced failures of fault rules), and the log of
// emitted events. The world emits into it (Emit); the façade serves it
// over HTTP and applies the fault rules. Its rules and their sources are in docs/vkmock.md.
package longpoll

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Deps is what the room needs from the rest of the mock.
type Deps struct {
	Clock *core.Clock
	// Seed makes keys, event ids and button ids.
	Seed int64
	// Seeded is the community configured as a bot at start and after
	// Reset (BotSettings); the others start with Long Poll off.
	Seeded int64
	// MaxGroupID is the largest community id SetSettings accepts.
	MaxGroupID int64
	// Emitted is told of each event under the room's lock, so that the
	// Callback sender and User Long Poll see events in ts order; nil:
	// nobody. legacy is message_new in the pre-5.103 shape, else nil.
	Emitted func(groupID int64, typ vkevent.Type, eventID string, object, legacy []byte)
}

type event struct {
	ts      int64
	typ     vkevent.Type
	eventID string
	object  []byte // the 5.103+ shape
	legacy  []byte // message_new in the legacy shape; nil for other types
	lost    bool
	logIdx  int64 // index in the event log
}

func (e *event) size() int { return len(e.object) + len(e.legacy) + len(e.eventID) + 64 }

type key struct {
	group  int64
	issued time.Time
}

type group struct {
	id        int64
	settings  Settings
	seq       int64   // ts of the newest event
	hist      []event // hist[head:] are kept, oldest first, ts consecutive
	head      int
	histBytes int
	keys      []string      // live keys, oldest first
	notify    chan struct{} // closed and replaced when an event comes
	loseArmed bool          // the next a_check answers failed 3
	lossFrom  int64         // >= 0: events after it are lost until the next key
}

// wake wakes the community's waiting a_check requests.
func (g *group) wake() {
	close(g.notify)
	g.notify = make(chan struct{})
}

// Room is the Bots Long Poll state of every community. The zero value is
// not usable; New makes one. A Room is safe for concurrent use.
type Room struct {
	d       Deps
	mu      sync.Mutex
	cfg     Config
	groups  map[int64]*group
	keys    map[string]key
	keySeq  uint64
	log     []Emitted
	logBase int64 // global index of log[0]
	logSize int
	waiting atomic.Int64 // a_check requests holding
	bytes   int          // the history bytes of all communities
}

// New returns a room with the default configuration, the seeded
// community a configured bot.
func New(d Deps) *Room {
	r := &Room{d: d, logSize: DefaultEventLogSize}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resetLocked()
	return r
}

func (r *Room) resetLocked() {
	r.cfg = Config{}.WithDefaults()
	r.groups = map[int64]*group{}
	// The seeded community is a configured bot, so that a client can
	// listen at once; communities added later start with Long Poll off.
	r.groups[r.d.Seeded] = &group{id: r.d.Seeded, notify: make(chan struct{}), lossFrom: -1, settings: BotSettings(r.d.Seeded)}
	r.keys = map[string]key{}
	r.log, r.logBase = nil, 0
	r.bytes = 0
}

// Reset forgets every community's state, key, event and button press,
// and the configuration; waiting requests are woken and answer as the
// new state says.
func (r *Room) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.groups
	r.resetLocked()
	for _, g := range old {
		close(g.notify)
	}
}

// ErrTooManyCommunities refuses state for one community more than the
// configuration allows.
var ErrTooManyCommunities = errors.New("vkmock: Long Poll state is kept for at most LongPollConfig.Communities communities")

// groupLocked returns the community's state, made on first use; nil when
// the bound on communities is reached.
func (r *Room) groupLocked(id int64) *group {
	g := r.groups[id]
	if g == nil {
		if len(r.groups) >= r.cfg.Communities {
			return nil
		}
		g = &group{id: id, notify: make(chan struct{}), lossFrom: -1, settings: defaultSettings(id)}
		r.groups[id] = g
	}
	return g
}

// SetConfig changes the configuration (zero fields get their defaults)
// and returns it with its defaults.
func (r *Room) SetConfig(c Config) Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg = c.WithDefaults()
	return r.cfg
}

// Config returns the configuration.
func (r *Room) Config() Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// SetSettings sets a community's settings, as groups.setLongPollSettings
// does; nil Events enables every event type.
func (r *Room) SetSettings(ls Settings) error {
	if ls.GroupID <= 0 || ls.GroupID > r.d.MaxGroupID {
		return errors.New("vkmock: long poll settings need a valid group_id")
	}
	if ls.APIVersion == "" {
		ls.APIVersion = DefaultAPIVersion
	}
	if _, ok := core.ParseVersion(ls.APIVersion); !ok {
		return fmt.Errorf("vkmock: api_version %q is not a version like 5.199", ls.APIVersion)
	}
	events := map[string]bool{}
	if ls.Events == nil {
		events = BotSettings(ls.GroupID).Events
	} else {
		for t, on := range ls.Events {
			if !slices.Contains(vkevent.Types, vkevent.Type(t)) {
				return fmt.Errorf("vkmock: unknown event type %q", t)
			}
			events[t] = on
		}
	}
	ls.Events = events
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groupLocked(ls.GroupID)
	if g == nil {
		return ErrTooManyCommunities
	}
	g.settings = ls
	return nil
}

// Settings returns a community's settings.
func (r *Room) Settings(groupID int64) Settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := defaultSettings(groupID)
	if g := r.groups[groupID]; g != nil {
		ls = g.settings
	}
	ls.Events = maps.Clone(ls.Events)
	return ls
}

// Lose makes the community's next a_check answer {"failed":3} and drop
// the events it had not received.
func (r *Room) Lose(groupID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groupLocked(groupID)
	if g == nil {
		return
	}
	g.loseArmed = true
	g.wake() // a waiting request answers now
}

// Expire ends every key of the community: the next a_check with one
// answers {"failed":2}.
func (r *Room) Expire(groupID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groups[groupID]
	if g == nil {
		return
	}
	for _, k := range g.keys {
		delete(r.keys, k)
	}
	g.keys = nil
	g.wake()
}

// Waiting returns the number of a_check requests holding now.
func (r *Room) Waiting() int { return int(r.waiting.Load()) }

// Events returns the emitted events still in the log
// (DefaultEventLogSize of them), oldest first, with their ts, event_id
// and whether they were lost.
func (r *Room) Events() []Emitted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Emitted(nil), r.log...)
}
