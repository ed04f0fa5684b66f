// Package callback is vkmock's Callback API sender: communities register
// servers, each new one is confirmed, then every emitted event is POSTed
// to the confirmed servers that take its type, resent on a schedule of
// the mock's clock, paused after failures in a row. docs/vkmock-design.md
// ("The Callback sender") has the rules and their sources.
package callback

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

// Defaults of Config.
const (
	// DefaultTimeout is how long a POST waits for its answer. VK does not
	// publish its figure and no SDK maintainer states one; a public report
	// of VK resending an event whose handler took more than about 4 s
	// (yageorgiy/botman-vk-community-callback-driver#11) puts it between 4
	// and 6 s, and 5 s is the mock's choice within that (docs/vkmock.md,
	// "The Callback sender").
	DefaultTimeout     = 5 * time.Second
	DefaultPauseAfter  = 5
	DefaultPause       = 10 * time.Minute
	DefaultSenders     = 8
	DefaultPending     = 100_000
	DefaultPendingSize = 64 << 20
	DefaultLogSize     = 10_000
	DefaultLogBytes    = 8 << 20
	DefaultCommunities = 1000
	// MaxServers is VK's limit of servers per community.
	MaxServers = 10
	// maxAnswerKept is how much of an answer the delivery log keeps.
	maxAnswerKept = 64
)

// Statuses of a Callback server, as groups.getCallbackServers shows them
// (the schema's enum; VK's texts: "адрес не задан", "подтвердить адрес не
// удалось", "адрес ожидает подтверждения", "сервер подключен").
const (
	StatusUnconfigured = "unconfigured" // no address is set: nothing is asked or sent
	StatusWait         = "wait"         // the confirmation is being asked
	StatusOK           = "ok"           // confirmed; events are sent
	StatusFailed       = "failed"       // the confirmation failed, or paused after failures
)

type group struct {
	servers []*Server
	nextID  int64
}

// item is a delivery waiting in the heap.
type item struct {
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

func (it *item) size() int64 { return int64(len(it.body) + len(it.eventID) + 96) }

type itemHeap []*item

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *itemHeap) Push(x any)   { it := x.(*item); it.index = len(*h); *h = append(*h, it) }
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

// Sender is the Callback API sender of a mock: the communities' servers,
// the deliveries waiting (a heap on due time), the delivery log, and the
// goroutines that POST (started with the first delivery, ended by Close).
// Init must be called before use.
type Sender struct {
	// Set by Init.
	now        func() time.Time       // the mock's clock
	clockMoved func() <-chan struct{} // closed when the mock's clock moves next
	seed       int64                  // of the confirmation codes
	userAgent  string

	mu        sync.Mutex
	cfg       Config
	groups    map[int64]*group
	pending   itemHeap
	pendBytes int64
	seq       uint64
	inflight  int
	log       fifo.FIFO[Delivery]
	changed   chan struct{} // closed and replaced on every change
	wake      chan struct{} // 1-buffered: the scheduler looks again
	work      chan *item
	started   bool
	closed    bool
	ctx       context.Context // the POSTs' context; cancelled by Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	client    *http.Client
	ownClient bool
}

func (c *Sender) initLocked() {
	if c.groups != nil {
		return
	}
	c.cfg = c.cfg.withDefaults()
	c.groups = map[int64]*group{}
	c.log = fifo.New[Delivery](c.cfg.LogSize, c.cfg.LogBytes)
	c.changed = make(chan struct{})
}

// changedLocked wakes the waiters of Callback().Idle and the scheduler.
func (c *Sender) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *Sender) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.cfg
	c.groups = nil
	c.pending = nil
	c.pendBytes = 0
	c.initLocked()
	c.cfg = cfg.withDefaults()
	c.log = fifo.New[Delivery](c.cfg.LogSize, c.cfg.LogBytes)
	c.changedLocked()
}

// ConfirmationCode is a community's code: 8 hex digits from the seed.
func (c *Sender) ConfirmationCode(groupID int64) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(c.seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(groupID))
	sum := sha1.Sum(append(b[:], "confirm"...))
	return hex.EncodeToString(sum[:4])
}

// SetConfig replaces the sender's configuration (the servers and
// pending deliveries stay; the log keeps its entries up to the new bounds).
func (c *Sender) SetConfig(cfg Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	c.cfg = cfg.withDefaults()
	old := c.log.All()
	c.log = fifo.New[Delivery](c.cfg.LogSize, c.cfg.LogBytes)
	for _, d := range old {
		c.log.Add(d, d.size(), nil)
	}
	if cfg.HTTPClient != nil && c.client != cfg.HTTPClient {
		c.client, c.ownClient = cfg.HTTPClient, false
	}
	c.changedLocked()
}

// Config returns the sender's configuration, defaults filled.
func (c *Sender) Config() Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	cfg := c.cfg
	cfg.Schedule = slices.Clone(cfg.Schedule)
	return cfg
}

// statusOf fills the computed fields of a server for the mock's now.
func statusOf(sv Server, now time.Time) Server {
	sv.HasSecret = sv.SecretKey != ""
	if sv.Status == StatusOK && now.Before(sv.PausedUntil) {
		sv.Status = StatusFailed
	}
	sv.Events = maps.Clone(sv.Events)
	return sv
}

// Servers returns a community's servers, in the order they were
// added, with their status at the mock's now.
func (c *Sender) Servers(groupID int64) []Server {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	g := c.groups[groupID]
	if g == nil {
		return []Server{}
	}
	out := make([]Server, 0, len(g.servers))
	for _, sv := range g.servers {
		out = append(out, statusOf(*sv, now))
	}
	return out
}

// Deliveries returns the delivery log, oldest first.
func (c *Sender) Deliveries() []Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	return slices.Clone(c.log.All())
}

// Pending returns the number of deliveries waiting or in flight.
func (c *Sender) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) + c.inflight
}

// Idle waits until the sender has nothing to do now: no POST in
// flight and no delivery due at the mock's now (the ones left wait for a
// resend time or the end of a pause: Clock().Advance makes them due). It returns
// ctx's error when ctx ends first.
func (c *Sender) Idle(ctx context.Context) error {
	for {
		now := c.now()
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
func (c *Sender) pushLocked(it *item, now time.Time) bool {
	if len(c.pending)+c.inflight >= c.cfg.Pending || c.pendBytes+it.size() > c.cfg.PendingBytes {
		c.recordLocked(Delivery{Time: now, GroupID: it.group, ServerID: it.server, EventID: it.eventID, Type: it.typ,
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

func (c *Sender) recordLocked(d Delivery) {
	c.log.Add(d, d.size(), nil)
}

// serverLocked finds a server of a community.
func (c *Sender) serverLocked(groupID, id int64) *Server {
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

// Close stops the Callback sender: its scheduler and workers end, and
// the client it made drops its idle connections. Later events are not sent.
func (c *Sender) Close() {
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

// The sender: one scheduler goroutine takes the deliveries that are due
// on the mock's clock from the heap and hands them to Senders workers,
// which POST them and record the outcome. Both start with the first
// delivery and end with Close.
