package eventqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/vkevent"
)

// ErrBacklogFull is matched by the error of Append when the event's
// partition already holds MaxBacklog entries. The event was not appended;
// try again after BacklogFullError.RetryAfter.
var ErrBacklogFull = errors.New("eventqueue: backlog full")

// BacklogFullError is the error of Append on a full partition.
type BacklogFullError struct {
	Partition  int
	RetryAfter time.Duration
}

func (e *BacklogFullError) Error() string {
	return fmt.Sprintf("eventqueue: backlog full (partition %d holds its maximum of entries not yet handled); retry after %s", e.Partition, e.RetryAfter)
}

// Is makes errors.Is(err, ErrBacklogFull) hold.
func (e *BacklogFullError) Is(target error) bool { return target == ErrBacklogFull }

// appendScript appends an event once: KEYS[1] the de-duplication key ("" in
// ARGV[3] means the event has no id), KEYS[2] the partition stream. ARGV:
// the key's time to live in ms, the stream's bound, "1" to de-duplicate,
// then the entry's fields. It answers {0, id} for an event appended before,
// {1, id} for one appended now, {2, ""} when the stream is full.
var appendScript = redis.NewScript(`
local dedup = ARGV[3] == "1"
if dedup then
  local prev = redis.call("GET", KEYS[1])
  if prev then return {0, prev} end
end
if redis.call("XLEN", KEYS[2]) >= tonumber(ARGV[2]) then return {2, ""} end
local id = redis.call("XADD", KEYS[2], "*", unpack(ARGV, 4))
if dedup then redis.call("SET", KEYS[1], id, "PX", ARGV[1]) end
return {1, id}`)

// Producer appends events to a queue. It is a vkevent.Handler: give it to
// a Long Poll poller as its handler, and the poller records an event as
// handled only once it is in Redis. A Producer is safe for concurrent use;
// it starts no goroutine and needs no Close.
type Producer struct {
	rdb  redis.UniversalClient
	opts Options
	keys keys
	log  *slog.Logger

	checked atomic.Bool // the queue's partition count matched ours once
}

// NewProducer returns a producer of the queue opts names. log may be nil.
func NewProducer(rdb redis.UniversalClient, opts Options, log *slog.Logger) (*Producer, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Producer{rdb: rdb, opts: o, keys: keysOf(o.Name), log: log}, nil
}

// Appended is what Append did with an event.
type Appended struct {
	ID        string // the stream entry's id
	Partition int
	Duplicate bool // the event_id had been appended before: nothing was added
}

// Append adds e to its partition unless its event_id was appended within
// DedupTTL. It fails with a *BacklogFullError when the partition is full,
// and never blocks for room.
func (p *Producer) Append(ctx context.Context, e *vkevent.Event) (Appended, error) {
	if !p.checked.Load() {
		if err := checkPartitions(ctx, p.rdb, p.keys, p.opts.Partitions); err != nil {
			return Appended{}, err
		}
		p.checked.Store(true)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return Appended{}, errorf("encode the event", err)
	}
	part := partitionOf(e, p.opts.Partitions)
	dedup, seen := "0", p.keys.tag+":seen:-"
	if e.EventID != "" {
		dedup, seen = "1", p.keys.seen(e.EventID)
	}
	res, err := appendScript.Run(ctx, p.rdb, []string{seen, p.keys.partition(part)},
		p.opts.DedupTTL.Milliseconds(), p.opts.MaxBacklog, dedup,
		fieldEvent, body, fieldKey, orderKey(e)).Slice()
	if err != nil {
		return Appended{}, errorf("append", err)
	}
	if len(res) != 2 {
		return Appended{}, fmt.Errorf("eventqueue: append: unexpected answer %v", res)
	}
	status, _ := res[0].(int64)
	id, _ := res[1].(string)
	switch status {
	case 0:
		return Appended{ID: id, Partition: part, Duplicate: true}, nil
	case 1:
		return Appended{ID: id, Partition: part}, nil
	default:
		return Appended{Partition: part}, &BacklogFullError{Partition: part, RetryAfter: backlogRetry}
	}
}

// backlogRetry is the wait a full partition asks for: long enough for
// consumers to work some of it off, short enough for VK's patience.
const backlogRetry = 5 * time.Second

// HandleEvent appends e, waiting with backoff while its partition is full
// or Redis does not answer, until it is appended or ctx ends. It is what a
// Long Poll poller's handler should be: the poller records the event only
// after this returns nil, and slows down while the queue is full.
func (p *Producer) HandleEvent(ctx context.Context, e *vkevent.Event) error {
	for attempt := 0; ; attempt++ {
		_, err := p.Append(ctx, e)
		if err == nil {
			if attempt > 0 {
				p.log.Info("eventqueue: appending again", "queue", p.opts.Name, "after_attempts", attempt+1)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt == 0 {
			p.log.Warn("eventqueue: cannot append, waiting", "queue", p.opts.Name, "err", err)
		}
		if err := backoff.Sleep(ctx, backoff.Backoff{Base: 50 * time.Millisecond, Max: backlogRetry}.Delay(attempt+1)); err != nil {
			return err
		}
	}
}

// checkPartitions fixes the queue's partition count on first use and
// fails when it differs from n.
func checkPartitions(ctx context.Context, rdb redis.UniversalClient, k keys, n int) error {
	if err := rdb.HSetNX(ctx, k.meta(), "partitions", n).Err(); err != nil {
		return errorf("read the queue's partitions", err)
	}
	got, err := rdb.HGet(ctx, k.meta(), "partitions").Result()
	if err != nil {
		return errorf("read the queue's partitions", err)
	}
	if got != strconv.Itoa(n) {
		return fmt.Errorf("eventqueue: the queue has %s partitions, this process was configured with %d", got, n)
	}
	return nil
}
