package vkmock

import (
	"container/heap"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// The Callback API, with the mock as VK's sender: communities register
// servers, each new one is confirmed, then every emitted event is POSTed
// to the confirmed servers that take its type, resent on a schedule of
// the mock's clock, paused after failures in a row. docs/vkmock-design.md
// ("The Callback sender") has the rules and their sources.

// Defaults of CallbackConfig.
const (
	DefaultCallbackTimeout     = 5 * time.Second
	DefaultCallbackPauseAfter  = 5
	DefaultCallbackPause       = 10 * time.Minute
	DefaultCallbackSenders     = 8
	DefaultCallbackPending     = 100_000
	DefaultCallbackPendingSize = 64 << 20
	DefaultCallbackLogSize     = 10_000
	DefaultCallbackLogBytes    = 8 << 20
	DefaultCallbackCommunities = 1000
	// MaxCallbackServers is VK's limit of servers per community.
	MaxCallbackServers = 10
	// maxAnswerKept is how much of an answer the delivery log keeps.
	maxAnswerKept = 64
)

// DefaultCallbackSchedule returns the delays before each resend of a failed
// event: VK's is not documented; a second-hand summary says about 10 s, 3,
// 10 and 30 minutes, then an hour.
func DefaultCallbackSchedule() []time.Duration {
	return []time.Duration{10 * time.Second, 3 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
}

// CallbackConfig configures the Callback API sender. The zero value of a
// field means its default.
type CallbackConfig struct {
	// Schedule is the delays before each resend of a failed event, on the
	// mock's clock (default DefaultCallbackSchedule()); after the last the
	// event is given up.
	Schedule []time.Duration
	// Timeout bounds one POST, on the real clock (default 5 s).
	Timeout time.Duration
	// PauseAfter failures in a row pause a server (default 5) for Pause
	// (default 10 minutes, on the mock's clock).
	PauseAfter int
	Pause      time.Duration
	// Senders bounds the POSTs in flight, all servers together (default 8).
	Senders int
	// Pending and PendingBytes bound the deliveries waiting to be sent or
	// resent (default 100 000, 64 MiB); an event beyond them is dropped
	// for that server and logged as "dropped".
	Pending      int
	PendingBytes int64
	// LogSize and LogBytes bound the delivery log (default 10 000 records,
	// 8 MiB), oldest evicted first.
	LogSize  int
	LogBytes int64
	// Communities bounds the communities with Callback servers (default
	// 1000).
	Communities int
	// HTTPClient sends the POSTs; nil is a client of the mock's own, whose
	// connections Close ends. Its Timeout is not used (Timeout is).
	HTTPClient *http.Client `json:"-"`
}

func (c CallbackConfig) withDefaults() CallbackConfig {
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultCallbackSchedule()
	}
	c.Schedule = slices.Clone(c.Schedule)
	if c.Timeout <= 0 {
		c.Timeout = DefaultCallbackTimeout
	}
	if c.PauseAfter <= 0 {
		c.PauseAfter = DefaultCallbackPauseAfter
	}
	if c.Pause <= 0 {
		c.Pause = DefaultCallbackPause
	}
	if c.Senders <= 0 {
		c.Senders = DefaultCallbackSenders
	}
	if c.Pending <= 0 {
		c.Pending = DefaultCallbackPending
	}
	if c.PendingBytes <= 0 {
		c.PendingBytes = DefaultCallbackPendingSize
	}
	if c.LogSize <= 0 {
		c.LogSize = DefaultCallbackLogSize
	}
	if c.LogBytes <= 0 {
		c.LogBytes = DefaultCallbackLogBytes
	}
	if c.Communities <= 0 {
		c.Communities = DefaultCallbackCommunities
	}
	return c
}

// Statuses of a Callback server, as groups.getCallbackServers shows them.
const (
	CallbackWait   = "wait"   // the confirmation is being asked
	CallbackOK     = "ok"     // confirmed; events are sent
	CallbackFailed = "failed" // the confirmation failed, or paused after failures
)

// CallbackServer is a community's Callback server (groups.getCallbackServers
// shows all but PausedUntil and Failures).
type CallbackServer struct {
	ID        int64  `json:"id"`
	GroupID   int64  `json:"group_id"`
	Title     string `json:"title"`
	CreatorID int64  `json:"creator_id"`
	URL       string `json:"url"`
	// SecretKey is the secret sent in every body. It is a credential:
	// the control API shows it only as set or not.
	SecretKey string `json:"-"`
	HasSecret bool   `json:"has_secret"`
	Status    string `json:"status"`
	// Confirmed: the confirmation succeeded (Status may still be failed
	// while paused).
	Confirmed bool `json:"confirmed"`
	// Failures is the number of failures in a row since the last success
	// or pause; PausedUntil, when after the mock's now, is the end of a
	// pause.
	Failures    int       `json:"failures"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	APIVersion  string    `json:"api_version"`
	// Events are the event types sent (groups.setCallbackSettings); a new
	// server takes none, as on VK.
	Events map[string]bool `json:"events"`
}

// CallbackDelivery is one attempt of the sender (GET /__vkmock/callback/log).
type CallbackDelivery struct {
	Time     time.Time    `json:"time"` // the mock's clock when sent
	GroupID  int64        `json:"group_id"`
	ServerID int64        `json:"server_id"`
	EventID  string       `json:"event_id,omitempty"` // "" for a confirmation
	Type     vkevent.Type `json:"type"`
	Attempt  int          `json:"attempt"` // 1 for the first POST
	Status   int          `json:"status"`  // HTTP status; 0 when none came
	Answer   string       `json:"answer"`  // the first bytes of the body, or the error
	// Outcome: ok, confirmed, failed, paused (failed and the server
	// paused), retry_after, removed, given_up (failed, no resend left),
	// not_confirmed, dropped (pending store full), detached (the server
	// was deleted or removed before the attempt).
	Outcome   string    `json:"outcome"`
	LatencyMS float64   `json:"latency_ms"`
	Next      time.Time `json:"next,omitzero"` // the next attempt, when one is scheduled
}

func (d *CallbackDelivery) size() int64 {
	return int64(len(d.EventID) + len(d.Answer) + len(d.Type) + len(d.Outcome) + 160)
}

type cbGroup struct {
	servers []*CallbackServer
	nextID  int64
}

// cbItem is a delivery waiting in the heap.
type cbItem struct {
	group, server int64
	confirm       bool
	eventID       string
	typ           vkevent.Type
	body          []byte // without the secret, which is read at send time
	attempt       int    // attempts made
	resends       int    // schedule slots used
	due           time.Time
	seq           uint64 // FIFO among equal due times
	index         int
}

func (it *cbItem) size() int64 { return int64(len(it.body) + len(it.eventID) + 96) }

type cbHeap []*cbItem

func (h cbHeap) Len() int { return len(h) }
func (h cbHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h cbHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *cbHeap) Push(x any)   { it := x.(*cbItem); it.index = len(*h); *h = append(*h, it) }
func (h *cbHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

type cbState struct {
	mu        sync.Mutex
	cfg       CallbackConfig
	groups    map[int64]*cbGroup
	pending   cbHeap
	pendBytes int64
	seq       uint64
	inflight  int
	log       fifo.FIFO[CallbackDelivery]
	changed   chan struct{} // closed and replaced on every change
	wake      chan struct{} // 1-buffered: the scheduler looks again
	work      chan *cbItem
	started   bool
	closed    bool
	ctx       context.Context // the POSTs' context; cancelled by Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	client    *http.Client
	ownClient bool
}

func (c *cbState) initLocked() {
	if c.groups != nil {
		return
	}
	c.cfg = c.cfg.withDefaults()
	c.groups = map[int64]*cbGroup{}
	c.log = fifo.New[CallbackDelivery](c.cfg.LogSize, c.cfg.LogBytes)
	c.changed = make(chan struct{})
}

// changedLocked wakes the waiters of Callback().Idle and the scheduler.
func (c *cbState) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *cbState) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.cfg
	c.groups = nil
	c.pending = nil
	c.pendBytes = 0
	c.initLocked()
	c.cfg = cfg.withDefaults()
	c.log = fifo.New[CallbackDelivery](c.cfg.LogSize, c.cfg.LogBytes)
	c.changedLocked()
}

// confirmationCode is a community's code: 8 hex digits from the seed.
func (s *Server) confirmationCode(groupID int64) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(s.seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(groupID))
	sum := sha1.Sum(append(b[:], "confirm"...))
	return hex.EncodeToString(sum[:4])
}

// ConfirmationCode returns the code a community's servers must
// answer to the confirmation (groups.getCallbackConfirmationCode).
func (ctl CallbackControl) ConfirmationCode(groupID int64) string {
	s := ctl.s
	return s.confirmationCode(groupID)
}

// SetConfig replaces the sender's configuration (the servers and
// pending deliveries stay; the log keeps its entries up to the new bounds).
func (ctl CallbackControl) SetConfig(cfg CallbackConfig) {
	s := ctl.s
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	c.cfg = cfg.withDefaults()
	old := c.log.All()
	c.log = fifo.New[CallbackDelivery](c.cfg.LogSize, c.cfg.LogBytes)
	for _, d := range old {
		c.log.Add(d, d.size(), nil)
	}
	if cfg.HTTPClient != nil && c.client != cfg.HTTPClient {
		c.client, c.ownClient = cfg.HTTPClient, false
	}
	c.changedLocked()
}

// Config returns the sender's configuration, defaults filled.
func (ctl CallbackControl) Config() CallbackConfig {
	s := ctl.s
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	cfg := c.cfg
	cfg.Schedule = slices.Clone(cfg.Schedule)
	return cfg
}

// statusOf fills the computed fields of a server for the mock's now.
func statusOf(sv CallbackServer, now time.Time) CallbackServer {
	sv.HasSecret = sv.SecretKey != ""
	if sv.Status == CallbackOK && now.Before(sv.PausedUntil) {
		sv.Status = CallbackFailed
	}
	sv.Events = maps.Clone(sv.Events)
	return sv
}

// Servers returns a community's servers, in the order they were
// added, with their status at the mock's now.
func (ctl CallbackControl) Servers(groupID int64) []CallbackServer {
	s := ctl.s
	now := s.now()
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	g := c.groups[groupID]
	if g == nil {
		return []CallbackServer{}
	}
	out := make([]CallbackServer, 0, len(g.servers))
	for _, sv := range g.servers {
		out = append(out, statusOf(*sv, now))
	}
	return out
}

// Deliveries returns the delivery log, oldest first.
func (ctl CallbackControl) Deliveries() []CallbackDelivery {
	s := ctl.s
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	return slices.Clone(c.log.All())
}

// Pending returns the number of deliveries waiting or in flight.
func (ctl CallbackControl) Pending() int {
	s := ctl.s
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) + c.inflight
}

// Idle waits until the sender has nothing to do now: no POST in
// flight and no delivery due at the mock's now (the ones left wait for a
// resend time or the end of a pause: Clock().Advance makes them due). It returns
// ctx's error when ctx ends first.
func (ctl CallbackControl) Idle(ctx context.Context) error {
	s := ctl.s
	c := &s.cb
	for {
		now := s.now()
		c.mu.Lock()
		c.initLocked()
		idle := c.inflight == 0 && (len(c.pending) == 0 || c.pending[0].due.After(now))
		ch := c.changed
		c.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pushLocked queues a delivery; false (and a "dropped" record) when the
// pending store is full.
func (c *cbState) pushLocked(it *cbItem, now time.Time) bool {
	if len(c.pending)+c.inflight >= c.cfg.Pending || c.pendBytes+it.size() > c.cfg.PendingBytes {
		c.recordLocked(CallbackDelivery{Time: now, GroupID: it.group, ServerID: it.server, EventID: it.eventID, Type: it.typ,
			Attempt: it.attempt, Outcome: "dropped", Answer: "the mock's pending store is full"})
		return false
	}
	c.seq++
	it.seq = c.seq
	heap.Push(&c.pending, it)
	c.pendBytes += it.size()
	c.changedLocked()
	return true
}

func (c *cbState) recordLocked(d CallbackDelivery) {
	c.log.Add(d, d.size(), nil)
}

// serverLocked finds a server of a community.
func (c *cbState) serverLocked(groupID, id int64) *CallbackServer {
	g := c.groups[groupID]
	if g == nil {
		return nil
	}
	for _, sv := range g.servers {
		if sv.ID == id {
			return sv
		}
	}
	return nil
}

// cbClose stops the Callback sender: its scheduler and workers end, and
// the client it made drops its idle connections. Later events are not sent.
func (s *Server) cbClose() {
	c := &s.cb
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	started := c.started
	if started {
		c.cancel()
	}
	client, own := c.client, c.ownClient
	c.mu.Unlock()
	if started {
		c.wg.Wait()
	}
	if own && client != nil {
		client.CloseIdleConnections()
	}
}
