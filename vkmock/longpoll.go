package vkmock

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// Bots Long Poll, as VK serves it: groups.getLongPollServer hands out a
// server on the mock (/lp/wh<group_id>), a key and a ts; a_check holds
// until an event or the wait's end on the mock's clock. The failures and
// fault rules are in docs/vkmock-design.md ("Bots Long Poll").

// Defaults of the Long Poll configuration.
const (
	DefaultLongPollKeyLifetime   = time.Hour
	DefaultLongPollHistoryEvents = 10000
	DefaultLongPollHistoryBytes  = 16 << 20
	DefaultLongPollMaxUpdates    = 100
	// DefaultLongPollCommunities bounds the communities with Long Poll
	// state, DefaultLongPollTotalBytes the history of them all.
	DefaultLongPollCommunities = 1000
	DefaultLongPollTotalBytes  = 64 << 20
	// DefaultEventLogSize bounds the log of emitted events (Events).
	DefaultEventLogSize = 100000
	// maxLongPollWait is the longest wait VK allows (seconds).
	maxLongPollWait = 90
	// defaultLongPollWait is the wait of a request without one.
	defaultLongPollWait = 25
	// maxKeysPerGroup bounds the live keys of a community; a new key
	// beyond it retires the oldest.
	maxKeysPerGroup = 16
	// LegacyMessageVersion is the first api_version whose message_new
	// object is {"message","client_info"}; older ones get the bare message.
	LegacyMessageVersion = "5.103"
	// DefaultLongPollAPIVersion is the api_version of a community whose
	// settings do not name one.
	DefaultLongPollAPIVersion = "5.199"
)

// LongPollConfig configures the mock's Bots Long Poll. The zero value of a
// field means its default.
type LongPollConfig struct {
	// KeyLifetime is how long a key works, on the mock's clock (default
	// one hour); then a_check answers {"failed":2}.
	KeyLifetime time.Duration `json:"-"`
	// HistoryEvents and HistoryBytes bound the events kept per community
	// (default 10 000 and 16 MiB); a ts older than the kept ones gets
	// {"failed":1}.
	HistoryEvents int `json:"history_events,omitempty"`
	HistoryBytes  int `json:"history_bytes,omitempty"`
	// MaxUpdates bounds the updates of one answer (default 100).
	MaxUpdates int `json:"max_updates,omitempty"`
	// Communities bounds the communities with Long Poll state (default
	// 1000): settings for one more, or an event of one more, are refused.
	Communities int `json:"communities,omitempty"`
	// TotalBytes bounds the kept history of all communities together
	// (default 64 MiB): past it the biggest history loses its older half.
	TotalBytes int `json:"total_bytes,omitempty"`
	// Users bounds the users with User Long Poll state (default 10 000):
	// past it the user idle the longest is forgotten. KeyLifetime,
	// HistoryEvents, HistoryBytes, MaxUpdates and TotalBytes bound User
	// Long Poll as they bound Bots Long Poll, per user and for all users.
	Users int `json:"users,omitempty"`
}

func (c LongPollConfig) withDefaults() LongPollConfig {
	if c.KeyLifetime <= 0 {
		c.KeyLifetime = DefaultLongPollKeyLifetime
	}
	if c.HistoryEvents <= 0 {
		c.HistoryEvents = DefaultLongPollHistoryEvents
	}
	if c.HistoryBytes <= 0 {
		c.HistoryBytes = DefaultLongPollHistoryBytes
	}
	if c.MaxUpdates <= 0 {
		c.MaxUpdates = DefaultLongPollMaxUpdates
	}
	if c.Communities <= 0 {
		c.Communities = DefaultLongPollCommunities
	}
	if c.TotalBytes <= 0 {
		c.TotalBytes = DefaultLongPollTotalBytes
	}
	if c.Users <= 0 {
		c.Users = DefaultLongPollUsers
	}
	return c
}

// LongPollSettings are a community's Long Poll settings
// (groups.setLongPollSettings / getLongPollSettings).
type LongPollSettings struct {
	GroupID int64 `json:"group_id"`
	// Enabled: a disabled community's getLongPollServer answers 100 (on at
	// start for DefaultGroupID, off for the others, as on VK).
	// Communities start disabled, as on VK.
	Enabled bool `json:"enabled"`
	// APIVersion decides the shape of the objects (default 5.199; below
	// 5.103 message_new is the legacy bare message).
	APIVersion string `json:"api_version,omitempty"`
	// Events are the event types delivered. In LongPoll().SetSettings a nil
	// map means every type; groups.setLongPollSettings changes the types
	// it names and starts from none.
	Events map[string]bool `json:"events,omitempty"`
}

// EmittedEvent is an event the world emitted (GET /__vkmock/events).
type EmittedEvent struct {
	GroupID int64        `json:"group_id"`
	TS      int64        `json:"ts"`
	EventID string       `json:"event_id"`
	Type    vkevent.Type `json:"type"`
	Time    time.Time    `json:"time"`
	// Lost: the mock dropped it with a {"failed":3}; no Long Poll client
	// received it from then on.
	Lost bool `json:"lost"`
}

type lpEvent struct {
	ts      int64
	typ     vkevent.Type
	eventID string
	object  []byte // the 5.103+ shape
	legacy  []byte // message_new in the legacy shape; nil for other types
	lost    bool
	logIdx  int64 // index in the event log
}

func (e *lpEvent) size() int { return len(e.object) + len(e.legacy) + len(e.eventID) + 64 }

type lpKey struct {
	group  int64
	issued time.Time
}

type lpGroup struct {
	id        int64
	settings  LongPollSettings
	seq       int64     // ts of the newest event
	hist      []lpEvent // hist[head:] are kept, oldest first, ts consecutive
	head      int
	histBytes int
	keys      []string      // live keys, oldest first
	notify    chan struct{} // closed and replaced when an event comes
	loseArmed bool          // the next a_check answers failed 3
	lossFrom  int64         // >= 0: events after it are lost until the next getLongPollServer
}

type lpState struct {
	mu      sync.Mutex
	cfg     LongPollConfig
	groups  map[int64]*lpGroup
	keys    map[string]lpKey
	keySeq  uint64
	log     []EmittedEvent
	logBase int64 // global index of log[0]
	logSize int
	waiting atomic.Int64 // a_check requests holding
	bytes   int          // the history bytes of all communities
}

func (l *lpState) initLocked() {
	if l.groups != nil {
		return
	}
	l.cfg = l.cfg.withDefaults()
	l.groups = map[int64]*lpGroup{}
	// The seeded community is a configured bot, so that a client can
	// listen at once; communities added later start with Long Poll off.
	l.groups[DefaultGroupID] = &lpGroup{id: DefaultGroupID, notify: make(chan struct{}), lossFrom: -1, settings: botSettings(DefaultGroupID)}
	l.keys = map[string]lpKey{}
	if l.logSize <= 0 {
		l.logSize = DefaultEventLogSize
	}
}

// reset forgets every community's state, key and event; waiting requests
// are woken and answer as the new state says.
func (l *lpState) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.groups
	l.groups = nil
	l.log, l.logBase = nil, 0
	l.bytes = 0
	l.cfg = LongPollConfig{}
	for _, g := range old {
		close(g.notify)
	}
	l.initLocked()
}

// errTooManyCommunities refuses state for one community more than the
// configuration allows.
var errTooManyCommunities = errors.New("vkmock: Long Poll state is kept for at most LongPollConfig.Communities communities")

// defaultSettings are the settings of a community nobody set: disabled.
func defaultSettings(id int64) LongPollSettings {
	return LongPollSettings{GroupID: id, APIVersion: DefaultLongPollAPIVersion, Events: map[string]bool{}}
}

// botSettings are the settings of a community configured as a bot: Long
// Poll on, api_version 5.199, every event type.
func botSettings(id int64) LongPollSettings {
	ls := defaultSettings(id)
	ls.Enabled = true
	for _, t := range vkevent.Types {
		if t != vkevent.TypeConfirmation {
			ls.Events[string(t)] = true
		}
	}
	return ls
}

// groupLocked returns the community's state, made on first use; nil when
// the bound on communities is reached.
func (l *lpState) groupLocked(id int64) *lpGroup {
	l.initLocked()
	g := l.groups[id]
	if g == nil {
		if len(l.groups) >= l.cfg.Communities {
			return nil
		}
		g = &lpGroup{id: id, notify: make(chan struct{}), lossFrom: -1, settings: defaultSettings(id)}
		l.groups[id] = g
	}
	return g
}

// SetConfig changes the Long Poll configuration (zero fields get
// their defaults).
func (ctl LongPollControl) SetConfig(c LongPollConfig) {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	s.lp.initLocked()
	s.lp.cfg = c.withDefaults()
	s.ulp.setConfig(s.lp.cfg)
}

// Config returns the Long Poll configuration.
func (ctl LongPollControl) Config() LongPollConfig {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	s.lp.initLocked()
	return s.lp.cfg
}

// SetSettings sets a community's Long Poll settings, as
// groups.setLongPollSettings does; nil Events enables every event type.
func (ctl LongPollControl) SetSettings(ls LongPollSettings) error {
	s := ctl.s
	if ls.GroupID <= 0 || ls.GroupID > MaxGroupID {
		return errors.New("vkmock: long poll settings need a valid group_id")
	}
	if ls.APIVersion == "" {
		ls.APIVersion = DefaultLongPollAPIVersion
	}
	if _, ok := parseVersion(ls.APIVersion); !ok {
		return fmt.Errorf("vkmock: api_version %q is not a version like 5.199", ls.APIVersion)
	}
	events := map[string]bool{}
	if ls.Events == nil {
		events = botSettings(ls.GroupID).Events
	} else {
		for t, on := range ls.Events {
			if !slices.Contains(vkevent.Types, vkevent.Type(t)) {
				return fmt.Errorf("vkmock: unknown event type %q", t)
			}
			events[t] = on
		}
	}
	ls.Events = events
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	g := s.lp.groupLocked(ls.GroupID)
	if g == nil {
		return errTooManyCommunities
	}
	g.settings = ls
	return nil
}

// Settings returns a community's Long Poll settings.
func (ctl LongPollControl) Settings(groupID int64) LongPollSettings {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	s.lp.initLocked()
	ls := defaultSettings(groupID)
	if g := s.lp.groups[groupID]; g != nil {
		ls = g.settings
	}
	ls.Events = maps.Clone(ls.Events)
	return ls
}

// Lose makes the next a_check of the community answer
// {"failed":3} and drop the events it had not received (see the Long Poll
// notes above).
func (ctl LongPollControl) Lose(groupID int64) {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	g := s.lp.groupLocked(groupID)
	if g == nil {
		return
	}
	g.loseArmed = true
	close(g.notify) // a waiting request answers now
	g.notify = make(chan struct{})
}

// Expire ends every key of the community: the next a_check
// with one answers {"failed":2}.
func (ctl LongPollControl) Expire(groupID int64) {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	s.lp.initLocked()
	g := s.lp.groups[groupID]
	if g == nil {
		return
	}
	for _, k := range g.keys {
		delete(s.lp.keys, k)
	}
	g.keys = nil
	close(g.notify)
	g.notify = make(chan struct{})
}

// Waiting returns the number of a_check requests holding now.
func (ctl LongPollControl) Waiting() int {
	s := ctl.s
	return int(s.lp.waiting.Load())
}

// Events returns the emitted events still in the log (DefaultEventLogSize
// of them), oldest first, with their ts, event_id and whether they were
// lost.
func (ctl LongPollControl) Events() []EmittedEvent {
	s := ctl.s
	s.lp.mu.Lock()
	defer s.lp.mu.Unlock()
	return append([]EmittedEvent(nil), s.lp.log...)
}
