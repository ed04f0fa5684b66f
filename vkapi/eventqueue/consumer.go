package eventqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
)

// ErrClosed is matched by the error of Run on a closed consumer; it is
// vkapi.ErrClosed, shared by every event client of the project.
var ErrClosed = vkapi.ErrClosed

// Config configures a Consumer. The zero value, with a Handler, consumes
// the queue "events" as a member of group "vk".
type Config struct {
	// Options names the queue; producers and consumers must agree.
	Options
	// Group is the consumer group (DefaultGroup when empty). Each group
	// gets every event; the consumers of one group share them.
	Group string
	// Consumer names this consumer in the group; empty picks
	// hostname-pid-random. Two live consumers must not share a name.
	Consumer string
	// Handler handles each event; an entry is acknowledged only after it
	// returns nil. Required.
	Handler vkevent.Handler
	// MaxDeliveries is how many times an entry is handed to the handler
	// (crashes included) before it goes to the dead-letter stream
	// (DefaultMaxDeliveries when 0).
	MaxDeliveries int
	// LeaseTTL is how long a partition stays with a consumer that stopped
	// renewing it, so how long the events of a crashed consumer wait
	// (DefaultLeaseTTL when 0; at least 300 ms).
	LeaseTTL time.Duration
	// Batch is how many entries one read takes (32 when 0).
	Batch int
	// ReadBlock is how long a read waits for new entries (1 s when 0);
	// Close waits at most this long for a read in progress.
	ReadBlock time.Duration
	// Logger gets the consumer's warnings; nil discards them.
	Logger *slog.Logger
}

// Consumer handles the events of a queue, as one member of a consumer
// group. The go-redis client's pool must have room for one blocking read
// per partition the consumer may hold (Partitions by default, fewer with
// more consumers) plus a few: go-redis's default of 10 per CPU suits up to
// 16 partitions on two CPUs.
type Consumer struct {
	rdb  redis.UniversalClient
	cfg  Config
	opts Options
	keys keys
	id   string
	log  *slog.Logger
	// epoch is when the consumer was made: lease times are kept as time
	// since it, on the monotonic clock.
	epoch time.Time

	mu      sync.Mutex
	started bool
	closed  bool
	quit    chan struct{} // closed by Close
	done    chan struct{} // closed when Run returned

	// Owned by Run's goroutine.
	ctx      context.Context // Run's, which the handlers get
	held     map[int]*worker
	stopping map[int]bool
	exited   chan int
	wg       sync.WaitGroup
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(rdb redis.UniversalClient, cfg Config) (*Consumer, error) {
	o, err := cfg.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Handler == nil {
		return nil, errors.New("eventqueue: Config.Handler is required")
	}
	if cfg.MaxDeliveries < 0 || cfg.LeaseTTL < 0 || cfg.Batch < 0 || cfg.ReadBlock < 0 {
		return nil, errors.New("eventqueue: MaxDeliveries, LeaseTTL, Batch and ReadBlock must not be negative")
	}
	if cfg.ReadBlock == 0 {
		cfg.ReadBlock = time.Second
	}
	if cfg.Group == "" {
		cfg.Group = DefaultGroup
	}
	if cfg.MaxDeliveries == 0 {
		cfg.MaxDeliveries = DefaultMaxDeliveries
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	cfg.LeaseTTL = max(cfg.LeaseTTL, 300*time.Millisecond)
	if cfg.Batch == 0 {
		cfg.Batch = 32
	}
	id := cfg.Consumer
	if id == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		id = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{
		rdb: rdb, cfg: cfg, opts: o, keys: keysOf(o.Name), id: id, epoch: time.Now(),
		log:  log.With("queue", o.Name, "group", cfg.Group, "consumer", id),
		quit: make(chan struct{}), done: make(chan struct{}),
		held: map[int]*worker{}, stopping: map[int]bool{}, exited: make(chan int, o.Partitions),
	}, nil
}

// ID is the consumer's name in its group.
func (c *Consumer) ID() string { return c.id }

// Run consumes until ctx ends or Close is called, then returns after every
// running handler has returned and its entry was acknowledged: nil after
// Close, ctx's error otherwise. Handlers get a context that ends with ctx,
// not with Close. Run may be called once: a second call fails with
// vkapi.ErrAlreadyRunning, a call after Close with ErrClosed. Redis errors
// are logged and retried with backoff; they do not end Run.
func (c *Consumer) Run(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return ErrClosed
	case c.started:
		c.mu.Unlock()
		return vkapi.ErrAlreadyRunning
	}
	c.started = true
	c.mu.Unlock()
	defer close(c.done)
	c.ctx = ctx
	if err := checkPartitions(ctx, c.rdb, c.keys, c.opts.Partitions); err != nil {
		return err
	}
	defer c.leave()
	every := c.cfg.LeaseTTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	for failures := 0; ; {
		if err := c.rebalance(ctx); err != nil {
			if ctx.Err() == nil {
				c.log.Warn("eventqueue: rebalance failed", "err", err)
			}
			failures++
		} else {
			failures = 0
		}
		wait := tick.C
		var retry <-chan time.Time
		if failures > 0 {
			retry = time.After(backoff.Backoff{Base: 100 * time.Millisecond, Max: every}.Delay(failures))
			wait = nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.quit:
			return nil
		case part := <-c.exited:
			delete(c.stopping, part)
		case <-wait:
		case <-retry:
		}
	}
}

// leave stops every worker, waits for them, and leaves the group.
func (c *Consumer) leave() {
	for part, w := range c.held {
		w.stop()
		delete(c.held, part)
	}
	c.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = leaveScript.Run(ctx, c.rdb, []string{c.keys.members(c.cfg.Group)}, c.id).Err()
}

// reap forgets the workers that have exited.
func (c *Consumer) reap() {
	for {
		select {
		case part := <-c.exited:
			delete(c.stopping, part)
		default:
			return
		}
	}
}

// Close stops reading, waits for the running handlers to return and their
// entries to be acknowledged, releases the partitions and ends every
// goroutine. It is safe to call more than once and before Run.
func (c *Consumer) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.doneIfStarted()
		return nil
	}
	c.closed = true
	close(c.quit)
	c.mu.Unlock()
	<-c.doneIfStarted()
	return nil
}

func (c *Consumer) doneIfStarted() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return c.done
}
