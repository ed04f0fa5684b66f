package streaming

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// item is an event waiting for a connection's writer.
type item struct {
	body []byte
	rec  *Record
}

// conn is a key's live stream: a queue of events and the goroutine that
// writes them.
type conn struct {
	id      int64
	key     string
	ws      *wsConn
	stalled atomic.Bool

	mu    sync.Mutex
	q     []item
	dead  bool
	max   int
	wake  chan struct{} // the writer has work
	space chan struct{} // an emitter may find room
}

func newConn(id int64, key string, ws *wsConn, maxQueue int) *conn {
	return &conn{id: id, key: key, ws: ws, max: maxQueue, wake: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// enqueue queues an event, waiting while the queue is full; an event that
// finds the connection dead, or whose ctx ends first, is missed.
func (c *conn) enqueue(ctx context.Context, h *Hub, it item) {
	for {
		c.mu.Lock()
		if c.dead {
			c.mu.Unlock()
			h.setState(it.rec, StateMissed)
			return
		}
		if len(c.q) < c.max {
			c.q = append(c.q, it)
			c.mu.Unlock()
			signal(c.wake)
			return
		}
		c.mu.Unlock()
		select {
		case <-c.space:
		case <-c.ws.closed:
		case <-ctx.Done():
			h.setState(it.rec, StateMissed)
			return
		}
	}
}

// writeLoop writes the queued events until the connection ends; then the
// events still queued are missed.
func (c *conn) writeLoop(h *Hub) {
	defer c.kill(h)
	for {
		c.mu.Lock()
		items := c.q
		c.q = nil
		c.mu.Unlock()
		signal(c.space)
		if len(items) == 0 {
			select {
			case <-c.wake:
				continue
			case <-c.ws.closed:
				return
			}
		}
		for i, it := range items {
			if !c.send(h, it) {
				for _, rest := range items[i+1:] {
					h.setState(rest.rec, StateMissed)
				}
				return
			}
		}
	}
}

// send writes one event, after the faults of its frame; it reports whether
// the connection goes on.
func (c *conn) send(h *Hub, it item) bool {
	if c.stalled.Load() {
		h.setState(it.rec, StateMissed)
		return true
	}
	if h.cfg.Fault != nil {
		if a := h.cfg.Fault(PhaseFrame, c.key); a != nil {
			if a.Delay > 0 && !wait(c.ws.closed, a.Delay) {
				h.setState(it.rec, StateMissed)
				return false
			}
			switch a.Effect {
			case EffectClose:
				h.setState(it.rec, StateMissed)
				c.ws.close()
				return false
			case EffectStall:
				c.stalled.Store(true)
				h.setState(it.rec, StateMissed)
				return true
			case EffectMalformed:
				h.setState(it.rec, StateMalformed)
				// The event's message cut in the middle: a text frame that is not JSON.
				return c.ws.writeText(it.body[:len(it.body)/2]) == nil
			}
		}
	}
	// Sent before the write, so that a client that reads the event finds
	// it sent in the log; a failed write makes it missed.
	h.setState(it.rec, StateSent)
	if c.ws.writeText(it.body) != nil {
		h.setState(it.rec, StateMissed)
		c.ws.close()
		return false
	}
	return true
}

// kill marks the connection dead, its queued events missed, and frees the
// key for the next connection.
func (c *conn) kill(h *Hub) {
	c.ws.close()
	c.mu.Lock()
	c.dead = true
	rest := c.q
	c.q = nil
	c.mu.Unlock()
	for _, it := range rest {
		h.setState(it.rec, StateMissed)
	}
	h.mu.Lock()
	if st := h.streams[c.key]; st != nil && st.conn == c {
		st.conn = nil
	}
	h.mu.Unlock()
}

// wait sleeps d unless done closes first; it reports whether d passed.
func wait(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// serviceMessage is a code-300 message.
func serviceMessage(text string, code int) []byte {
	b, _ := json.Marshal(map[string]any{"code": 300, "service_message": map[string]any{"message": text, "service_code": code}})
	return b
}
