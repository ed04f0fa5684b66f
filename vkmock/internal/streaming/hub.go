// Package streaming is vkmock's Streaming API: the rules of each key with
// VK's limits, the WebSocket stream of each key (one connection at a
// time), the events made from the world's posts and by the control API,
// and the faults that close, stall or spoil a stream.
package streaming

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Phases at which fault rules are tried.
const (
	PhaseRules   = "rules"   // a request to /rules
	PhaseUpgrade = "upgrade" // a request to /stream, before the upgrade
	PhaseFrame   = "frame"   // each event about to be written on a stream
)

// The effects of a fault on a stream's frames.
const (
	EffectClose     = "close"     // the socket is closed
	EffectStall     = "stall"     // the stream stops: no frame, no pong
	EffectMalformed = "malformed" // a frame that is not JSON takes the event's place
)

// Action is what a fault rule does.
type Action struct {
	Effect     string              // EffectClose, EffectStall, EffectMalformed, or "reset" before an answer
	Code       vkerr.StreamingCode // answer this error (rules, upgrade)
	HTTPStatus int                 // answer this status with an HTML page (rules, upgrade)
	Delay      time.Duration
}

// Defaults of Config.
const (
	DefaultLogSize  = 100000
	DefaultMaxQueue = 4096
	// MaxRate bounds the events a second of SetRate.
	MaxRate = 100000
)

// Config configures a Hub. The zero value uses the wall clock, no faults
// and the defaults.
type Config struct {
	Now   func() time.Time
	Seed  int64
	Fault func(phase, key string) *Action
	// LogSize bounds the records of Log (default DefaultLogSize).
	LogSize int
	// MaxQueue bounds the events waiting for a connection's writer; an
	// emitter waits while it is full (default DefaultMaxQueue).
	MaxQueue int
}

// State is what became of an event on one stream.
type State string

// The states of a Record.
const (
	StateQueued    State = "queued"    // waiting for the connection's writer
	StateSent      State = "sent"      // written on the connection
	StateMissed    State = "missed"    // no connection (or a stalled or closed one) to send it on
	StateMalformed State = "malformed" // a fault sent a broken frame instead
)

// Record is one event for one key, in the order made.
type Record struct {
	Seq     int64     `json:"seq"`
	Key     string    `json:"-"`
	Conn    int64     `json:"conn,omitempty"` // the connection it went to, 0 for none
	Type    string    `json:"event_type"`
	OwnerID int64     `json:"post_owner_id"`
	PostID  int64     `json:"post_id"`
	SubID   int64     `json:"sub_id,omitempty"` // comment_id or shared_post_id
	Tags    []string  `json:"tags"`
	Time    time.Time `json:"time"`
	State   State     `json:"state"`
}

// stream is one key's state.
type stream struct {
	rules   []compiled
	conn    *conn
	pending bool // an upgrade is under way
}

// Hub is the Streaming API of one mock. It is safe for concurrent use.
type Hub struct {
	cfg Config

	mu      sync.Mutex // streams, keys, seqs, conns, rate
	streams map[string]*stream
	connSeq int64
	postSeq int64
	evSeq   int64
	rate    *rateGen
	closed  bool
	// draining is set while Reset waits for the connections: no new one
	// (nor a rate) starts then.
	draining bool

	logMu sync.Mutex
	log   []*Record
	start int // ring start when full

	wg sync.WaitGroup // connections and the rate generator
}

// New returns a hub.
func New(cfg Config) *Hub {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.LogSize = core.PositiveOr(cfg.LogSize, DefaultLogSize)
	cfg.MaxQueue = core.PositiveOr(cfg.MaxQueue, DefaultMaxQueue)
	return &Hub{cfg: cfg, streams: map[string]*stream{}}
}

// Key returns the stream key of an app: the same key each time, so that a
// program that asks again keeps its rules.
func (h *Hub) Key(app int64) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(h.cfg.Seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(app))
	sum := sha1.Sum(append(b[:], "streaming"...))
	key := hex.EncodeToString(sum[:])
	h.mu.Lock()
	if h.streams[key] == nil {
		h.streams[key] = &stream{}
	}
	h.mu.Unlock()
	return key
}

// Rules returns the rules of a key.
func (h *Hub) Rules(key string) ([]Rule, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.streams[key]
	if st == nil {
		return nil, false
	}
	out := make([]Rule, len(st.rules))
	for i, r := range st.rules {
		out[i] = r.Rule
	}
	return out, true
}

// AddRule adds a rule to a key's stream; the error is the code VK answers.
func (h *Hub) AddRule(key string, r Rule) vkerr.StreamingCode {
	c, code := compile(r)
	if code != 0 {
		return code
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.streams[key]
	if st == nil {
		return vkerr.StreamingBadKey
	}
	for _, old := range st.rules {
		if old.Tag == r.Tag {
			return vkerr.StreamingTagExists
		}
	}
	if len(st.rules) >= MaxRules {
		return vkerr.StreamingTooManyRules
	}
	st.rules = append(st.rules, c)
	return 0
}

// DeleteRule removes the rule of a tag.
func (h *Hub) DeleteRule(key, tag string) vkerr.StreamingCode {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.streams[key]
	if st == nil {
		return vkerr.StreamingBadKey
	}
	for i, r := range st.rules {
		if r.Tag == tag {
			st.rules = append(st.rules[:i:i], st.rules[i+1:]...)
			return 0
		}
	}
	return vkerr.StreamingTagNotFound
}

// known reports whether key was handed out.
func (h *Hub) known(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams[key] != nil
}

// target is a stream an event goes to.
type target struct {
	key  string
	tags []string
	conn *conn
}

// Emit makes an event of s on every stream with a matching rule and queues
// it on that stream's connection, waiting while a queue is full (until
// ctx ends: the event is then missed there). It returns the records made.
func (h *Hub) Emit(ctx context.Context, s Spec) ([]Record, error) {
	if !validEventType(s.EventType) {
		return nil, errors.New("event_type must be post, comment or share")
	}
	words := textWords(s.Text)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errors.New("the mock is closed")
	}
	var targets []target
	for key, st := range h.streams {
		var tags []string
		for _, r := range st.rules {
			if r.matches(s.Text, words) {
				tags = append(tags, r.Tag)
			}
		}
		if tags != nil {
			targets = append(targets, target{key, tags, st.conn})
		}
	}
	if s.PostID == 0 {
		h.postSeq++
		s.PostID = 1_000_000_000 + h.postSeq
	}
	h.mu.Unlock()
	now := h.cfg.Now()
	out := make([]Record, 0, len(targets))
	for _, t := range targets {
		h.mu.Lock()
		h.evSeq++
		seq := h.evSeq
		h.mu.Unlock()
		body, id := message(s, seq, now.Unix(), t.tags)
		rec := &Record{Seq: seq, Key: t.key, Type: s.EventType, OwnerID: id.PostOwnerID, PostID: id.PostID, SubID: max(id.CommentID, id.SharedPostID), Tags: t.tags, Time: now, State: StateMissed}
		if rec.Type == "" {
			rec.Type = "post"
		}
		if t.conn != nil && !t.conn.stalled.Load() {
			rec.State, rec.Conn = StateQueued, t.conn.id
		}
		h.addRecord(rec)
		if rec.State == StateQueued {
			t.conn.enqueue(ctx, h, item{body: body, rec: rec})
		}
		out = append(out, h.snapshot(rec))
	}
	return out, nil
}

// addRecord keeps a record, forgetting the oldest beyond LogSize.
func (h *Hub) addRecord(r *Record) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	if len(h.log) < h.cfg.LogSize {
		h.log = append(h.log, r)
		return
	}
	h.log[h.start] = r
	h.start = (h.start + 1) % len(h.log)
}

// setState changes a record's state.
func (h *Hub) setState(r *Record, s State) {
	h.logMu.Lock()
	r.State = s
	h.logMu.Unlock()
}

func (h *Hub) snapshot(r *Record) Record {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return *r
}

// Log returns the records, oldest first, with their keys.
func (h *Hub) Log() []Record {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	out := make([]Record, 0, len(h.log))
	for i := range h.log {
		out = append(out, *h.log[(h.start+i)%len(h.log)])
	}
	return out
}

// Drop applies a stream effect (EffectClose or EffectStall) to the key's
// connection now; it reports whether there was one.
func (h *Hub) Drop(key, effect string) (bool, error) {
	if effect != EffectClose && effect != EffectStall {
		return false, errors.New("effect must be close or stall")
	}
	h.mu.Lock()
	var c *conn
	if st := h.streams[key]; st != nil {
		c = st.conn
	}
	h.mu.Unlock()
	if c == nil {
		return false, nil
	}
	if effect == EffectStall {
		c.stalled.Store(true)
	} else {
		c.ws.close()
	}
	return true, nil
}

// Service sends a service message (code 300) on the key's connection.
func (h *Hub) Service(key, text string, code int) (bool, error) {
	h.mu.Lock()
	var c *conn
	if st := h.streams[key]; st != nil {
		c = st.conn
	}
	h.mu.Unlock()
	if c == nil || c.stalled.Load() {
		return false, nil
	}
	return true, c.ws.writeText(serviceMessage(text, code))
}

// Connected reports whether the key has a connection.
func (h *Hub) Connected(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.streams[key]
	return st != nil && st.conn != nil
}

// Reset closes every connection, stops the rate and forgets keys, rules
// and the log.
func (h *Hub) Reset() {
	h.shutdown(false)
	h.logMu.Lock()
	h.log, h.start = nil, 0
	h.logMu.Unlock()
}

// Close closes every connection and stops the rate, waits for their
// goroutines, and refuses new connections and events.
func (h *Hub) Close() { h.shutdown(true) }

func (h *Hub) shutdown(final bool) {
	h.mu.Lock()
	if final {
		h.closed = true
	}
	h.draining = true
	var conns []*conn
	for _, st := range h.streams {
		if st.conn != nil {
			conns = append(conns, st.conn)
		}
	}
	if !final {
		h.streams = map[string]*stream{}
	}
	rate := h.rate
	h.rate = nil
	h.mu.Unlock()
	if rate != nil {
		rate.stop()
	}
	for _, c := range conns {
		c.ws.close()
	}
	h.wg.Wait()
	h.mu.Lock()
	h.draining = false
	h.mu.Unlock()
}
