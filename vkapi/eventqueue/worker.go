package eventqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/vkevent"
)

// worker handles the entries of one partition while its consumer holds the
// partition's lease.
type worker struct {
	part   int
	stream string
	quit   chan struct{}
	once   sync.Once

	trimmed time.Time // when the stream was last trimmed
	settled bool      // entries were acknowledged or buried since then
	// unfinished: the last handleAll stopped before the end of its
	// entries, which stay pending to this consumer.
	unfinished bool

	// leaseEnd is the earliest the partition's lease may run out, as
	// time since the consumer's epoch: the time its last acquisition or
	// renewal was sent, plus LeaseTTL. Set by Run's goroutine, read by
	// the worker's.
	leaseEnd atomic.Int64
}

func (w *worker) stop() { w.once.Do(func() { close(w.quit) }) }

func (w *worker) stopped() bool {
	select {
	case <-w.quit:
		return true
	default:
		return false
	}
}

// renewed records that the lease of w was taken or renewed by a request
// sent at sent (time since c's epoch).
func (c *Consumer) renewed(w *worker, sent time.Duration) {
	w.leaseEnd.Store(int64(sent + c.cfg.LeaseTTL))
}

// holds reports whether w may start handling an entry: its lease is
// certain to last a while longer (a quarter of LeaseTTL). A process that
// stalled (a pause of the machine, a long GC) past its renewals stops
// handling what it had read, which the next holder of the partition
// claims, instead of handling it alongside.
func (c *Consumer) holds(w *worker) bool {
	return time.Since(c.epoch) < time.Duration(w.leaseEnd.Load())-c.cfg.LeaseTTL/4
}

// start runs a worker for part, whose lease c took with a request sent
// at sent (time since c's epoch).
func (c *Consumer) start(part int, sent time.Duration) {
	// settled: trim once at the start, for what the previous holder
	// acknowledged and did not trim.
	w := &worker{part: part, stream: c.keys.partition(part), quit: make(chan struct{}), settled: true}
	c.renewed(w, sent)
	c.held[part] = w
	c.stopping[part] = true // until it exits, whether or not it is held
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() { c.exited <- part }()
		c.work(w)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = releaseScript.Run(ctx, c.rdb, []string{c.keys.lease(c.cfg.Group, part)}, c.id).Err()
	}()
}

// work claims what the partition has pending, then reads new entries,
// handling each in order, until the worker is stopped or Run's context
// ends. A Redis error is retried with backoff.
func (c *Consumer) work(w *worker) {
	hctx := c.ctx
	rctx, cancel := context.WithCancel(hctx)
	defer cancel()
	go func() {
		select {
		case <-w.quit:
			cancel()
		case <-rctx.Done():
		}
	}()
	block := min(c.cfg.LeaseTTL/3, c.cfg.ReadBlock)
	// claim: the group must be made sure of and the partition's pending
	// entries claimed before new ones are read; so at the start, and
	// after anything that may have left entries pending (an error, a
	// pause for a late renewal). In between, only this worker reads the
	// partition, so nothing else can leave entries pending in it.
	claim := true
	for failures := 0; !w.stopped() && hctx.Err() == nil; {
		if !c.holds(w) {
			// A renewal is late: wait for it (or for the stop that
			// follows a lost lease) before touching the partition.
			if backoff.Sleep(rctx, c.cfg.LeaseTTL/10) != nil {
				return
			}
			continue
		}
		w.unfinished = false
		var err error
		if claim {
			err = c.ensureGroup(rctx, w.stream)
			if err == nil {
				err = c.drainPending(hctx, rctx, w)
			}
			claim = err != nil || w.unfinished
		}
		if err == nil && !claim && !w.stopped() {
			err = c.readNew(hctx, rctx, w, block)
		}
		if err != nil || w.unfinished {
			claim = true
		}
		if err == nil || rctx.Err() != nil {
			failures = 0
			continue
		}
		c.log.Warn("eventqueue: reading a partition failed", "partition", w.part, "err", err)
		if backoff.Sleep(rctx, backoff.Backoff{Base: 100 * time.Millisecond, Max: 5 * time.Second}.Delay(failures+1)) != nil {
			return
		}
		failures++
	}
}

// ensureGroup creates the consumer group at the start of the stream, so
// that a new group sees every entry still kept.
func (c *Consumer) ensureGroup(ctx context.Context, stream string) error {
	err := c.rdb.XGroupCreateMkStream(ctx, stream, c.cfg.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return errorf("create the consumer group", err)
	}
	return nil
}

// drainPending claims the entries any consumer of the group left pending
// in the partition (the partition's lease says no one else works on it)
// and handles them in order, oldest first.
func (c *Consumer) drainPending(hctx, rctx context.Context, w *worker) error {
	start := "0-0"
	for {
		if w.stopped() {
			w.unfinished = true
			return nil
		}
		msgs, next, err := c.rdb.XAutoClaim(rctx, &redis.XAutoClaimArgs{
			Stream: w.stream, Group: c.cfg.Group, Consumer: c.id, MinIdle: 0, Start: start, Count: int64(c.cfg.Batch),
		}).Result()
		if err != nil {
			return errorf("claim pending entries", err)
		}
		if err := c.handleAll(hctx, w, msgs); err != nil {
			return err
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
}

// readNew reads entries no consumer of the group has seen, waiting up to
// block for some, and handles them in order.
func (c *Consumer) readNew(hctx, rctx context.Context, w *worker, block time.Duration) error {
	res, err := c.rdb.XReadGroup(rctx, &redis.XReadGroupArgs{
		Group: c.cfg.Group, Consumer: c.id, Streams: []string{w.stream, ">"}, Count: int64(c.cfg.Batch), Block: block,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return errorf("read new entries", err)
	}
	var msgs []redis.XMessage
	for _, s := range res {
		msgs = append(msgs, s.Messages...)
	}
	// What is pending now must be exactly what this read got: a read
	// whose answer was lost (go-redis sends a command again after a
	// network error, and Redis may have run the first one) leaves older
	// entries pending to this consumer, which must come first. Then
	// everything pending is claimed and handled in order.
	p, err := c.rdb.XPending(rctx, w.stream, c.cfg.Group).Result()
	if err != nil {
		return errorf("read the pending entries", err)
	}
	if p.Count != int64(len(msgs)) || (len(msgs) > 0 && p.Lower != msgs[0].ID) {
		c.log.Warn("eventqueue: entries delivered by a read whose answer was lost; claiming them", "partition", w.part, "pending", p.Count, "read", len(msgs))
		w.unfinished = true
		return nil
	}
	if err := c.handleAll(hctx, w, msgs); err != nil {
		return err
	}
	// Trim when idle, and at least once a second under load, so that
	// acknowledged entries do not count against MaxBacklog; not again
	// while nothing was settled since (an idle partition costs nothing
	// but its blocking reads).
	if w.settled && (len(res) == 0 || time.Since(w.trimmed) > time.Second) {
		w.trimmed, w.settled = time.Now(), false
		return c.trim(rctx, w.stream)
	}
	return nil
}

// handleAll handles msgs in order; it stops early when the worker is
// stopped, its lease may have run out or Run's context ends, leaving the
// rest pending (and w.unfinished set). The delivery of each entry after
// the first is counted in the same round trip as the acknowledgement of
// the one before it.
func (c *Consumer) handleAll(hctx context.Context, w *worker, msgs []redis.XMessage) error {
	var counted int64 // the delivery number of msgs[i], when already counted
	for i, m := range msgs {
		if w.stopped() || hctx.Err() != nil || !c.holds(w) {
			w.unfinished = true
			return nil
		}
		var next *redis.XMessage
		if i+1 < len(msgs) {
			next = &msgs[i+1]
		}
		n, err := c.handleEntry(hctx, w, m, counted, next)
		if err != nil {
			return err
		}
		w.settled = true
		counted = n
	}
	return nil
}

// handleEntry hands one entry to the handler until it returns nil (then
// acknowledges it) or the entry has had MaxDeliveries deliveries (then
// moves it to the dead-letter stream). A stop or the end of Run's context
// leaves the entry pending for the next holder of the partition. counted,
// when not 0, is the entry's delivery number, already counted; next, when
// not nil, is the entry to come, whose delivery the acknowledgement
// counts too: handleEntry then returns its delivery number.
func (c *Consumer) handleEntry(hctx context.Context, w *worker, m redis.XMessage, counted int64, next *redis.XMessage) (int64, error) {
	field := strconv.Itoa(w.part) + ":" + m.ID
	var e vkevent.Event
	raw, _ := m.Values[fieldEvent].(string)
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return 0, c.bury(hctx, w, m, field, 1, "the entry holds no event: "+err.Error())
	}
	for attempt := 0; ; attempt++ {
		n := counted
		if attempt > 0 || n == 0 {
			var err error
			if n, err = c.rdb.HIncrBy(hctx, c.keys.tries(c.cfg.Group), field, 1).Result(); err != nil {
				return 0, errorf("count a delivery", err)
			}
		}
		if n > int64(c.cfg.MaxDeliveries) {
			last, _ := c.rdb.HGet(hctx, c.keys.errs(c.cfg.Group), field).Result()
			return 0, c.bury(hctx, w, m, field, n-1, last)
		}
		herr := callHandler(hctx, c.cfg.Handler, &e)
		if herr == nil {
			return c.ackHandled(hctx, w, m.ID, field, next)
		}
		if hctx.Err() != nil {
			return 0, nil
		}
		msg := vkerr.RedactShort(herr.Error(), 1000)
		c.log.Warn("eventqueue: handler failed", "partition", w.part, "entry", m.ID, "event_id", e.EventID, "delivery", n, "err", msg)
		if err := c.rdb.HSet(hctx, c.keys.errs(c.cfg.Group), field, msg).Err(); err != nil {
			return 0, errorf("record a handler's error", err)
		}
		if n >= int64(c.cfg.MaxDeliveries) {
			return 0, c.bury(hctx, w, m, field, n, msg)
		}
		t := time.NewTimer(backoff.Backoff{Base: 100 * time.Millisecond, Max: 10 * time.Second}.Delay(attempt + 1))
		select {
		case <-t.C:
		case <-w.quit:
			t.Stop()
			return 0, nil
		case <-hctx.Done():
			t.Stop()
			return 0, nil
		}
		if !c.holds(w) {
			w.unfinished = true
			return 0, nil // the work loop waits for the renewal
		}
	}
}

// callHandler runs h on e; a panic becomes an error.
func callHandler(ctx context.Context, h vkevent.Handler, e *vkevent.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v", v)
		}
	}()
	return h.HandleEvent(ctx, e)
}

// ackHandled acknowledges an entry whose handler returned nil, and counts
// the delivery of next (when not nil, and the worker goes on) in the same
// round trip, returning its delivery number (0 when not counted). It is
// recorded even when Run's context ended meanwhile: the handler did its
// work, so the entry must not come again. When Redis does not answer (a
// restart, a failover), the acknowledgement is tried again with backoff
// for up to LeaseTTL, while the worker holds the partition: no one else
// hands the entry to a handler meanwhile, and an acknowledgement that
// gets through saves handling the entry twice.
func (c *Consumer) ackHandled(hctx context.Context, w *worker, id, field string, next *redis.XMessage) (int64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(hctx), c.cfg.LeaseTTL)
	defer cancel()
	nextField := ""
	if next != nil && !w.stopped() && hctx.Err() == nil && c.holds(w) {
		nextField = strconv.Itoa(w.part) + ":" + next.ID
	}
	for attempt := 0; ; attempt++ {
		n, err := c.ack(ctx, w.stream, id, field, nextField)
		if err == nil || w.stopped() || ctx.Err() != nil {
			return n, err
		}
		// The failed round trip may have counted next's delivery; one
		// more count is the price of not counting it twice per entry.
		nextField = ""
		t := time.NewTimer(backoff.Backoff{Base: 20 * time.Millisecond, Max: c.cfg.LeaseTTL / 4}.Delay(attempt + 1))
		select {
		case <-t.C:
		case <-w.quit:
			t.Stop()
			return 0, err
		case <-ctx.Done():
			t.Stop()
			return 0, err
		}
	}
}

// ack acknowledges an entry and forgets its delivery count and error, and
// counts a delivery of the entry nextField names (when not ""), in one
// transaction; it returns that entry's delivery number.
func (c *Consumer) ack(ctx context.Context, stream, id, field, nextField string) (int64, error) {
	var count *redis.IntCmd
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, stream, c.cfg.Group, id)
		p.HDel(ctx, c.keys.tries(c.cfg.Group), field)
		p.HDel(ctx, c.keys.errs(c.cfg.Group), field)
		if nextField != "" {
			count = p.HIncrBy(ctx, c.keys.tries(c.cfg.Group), nextField, 1)
		}
		return nil
	})
	if err != nil {
		return 0, errorf("acknowledge", err)
	}
	if count == nil {
		return 0, nil
	}
	return count.Val(), nil
}

// bury moves an entry to the dead-letter stream with its last error and
// acknowledges it, in one transaction.
func (c *Consumer) bury(ctx context.Context, w *worker, m redis.XMessage, field string, deliveries int64, lastErr string) error {
	c.log.Error("eventqueue: entry moved to the dead letters", "partition", w.part, "entry", m.ID, "deliveries", deliveries, "err", lastErr)
	values := map[string]any{
		"partition": w.part, "entry": m.ID, "group": c.cfg.Group,
		"deliveries": deliveries, "error": lastErr,
	}
	for k, v := range m.Values {
		values[k] = v
	}
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: c.keys.dead(), MaxLen: int64(c.opts.DeadMax), Approx: true, Values: values})
		p.XAck(ctx, w.stream, c.cfg.Group, m.ID)
		p.HDel(ctx, c.keys.tries(c.cfg.Group), field)
		p.HDel(ctx, c.keys.errs(c.cfg.Group), field)
		return nil
	})
	if err != nil {
		return errorf("move an entry to the dead letters", err)
	}
	return nil
}
