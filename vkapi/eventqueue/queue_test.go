package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
)

func TestAppendOnce(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	p, err := NewProducer(rdb, Options{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := messageNew(7, 1)
	a1, err := p.Append(ctx, e)
	if err != nil || a1.Duplicate {
		t.Fatalf("first append: %+v, %v", a1, err)
	}
	a2, err := p.Append(ctx, e)
	if err != nil || !a2.Duplicate || a2.ID != a1.ID || a2.Partition != a1.Partition {
		t.Fatalf("second append: %+v, %v; want a duplicate of %+v", a2, err, a1)
	}
	if n := rdb.XLen(ctx, keysOf(name).partition(a1.Partition)).Val(); n != 1 {
		t.Fatalf("the stream holds %d entries, want 1", n)
	}
	// An event with no id is appended every time.
	e.EventID = ""
	for range 2 {
		if a, err := p.Append(ctx, e); err != nil || a.Duplicate {
			t.Fatalf("append without id: %+v, %v", a, err)
		}
	}
}

func TestPartitionsAreFixed(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	p, _ := NewProducer(rdb, Options{Name: name, Partitions: 4}, nil)
	if _, err := p.Append(ctx, messageNew(1, 1)); err != nil {
		t.Fatal(err)
	}
	q, _ := NewProducer(rdb, Options{Name: name, Partitions: 8}, nil)
	_, err := q.Append(ctx, messageNew(1, 2))
	if err == nil || !strings.Contains(err.Error(), "has 4 partitions") {
		t.Fatalf("append with another partition count: %v", err)
	}
}

func TestBacklogFull(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	p, _ := NewProducer(rdb, Options{Name: name, Partitions: 1, MaxBacklog: 3}, nil)
	for i := range 3 {
		if _, err := p.Append(ctx, messageNew(1, i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := p.Append(ctx, messageNew(1, 3))
	var full *BacklogFullError
	if !errors.Is(err, ErrBacklogFull) || !errors.As(err, &full) || full.RetryAfter <= 0 {
		t.Fatalf("append to a full partition: %v", err)
	}
	// HandleEvent waits for room until its context ends.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := p.HandleEvent(cctx, messageNew(1, 3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("HandleEvent on a full queue: %v", err)
	}
	// A consumer works the backlog off and trims it; HandleEvent then goes through.
	r := newRecord(4)
	c, _ := NewConsumer(rdb, Config{Options: Options{Name: name, Partitions: 1, MaxBacklog: 3}, Handler: r})
	runConsumer(t, c)
	hctx, hcancel := context.WithTimeout(ctx, 20*time.Second)
	defer hcancel()
	if err := p.HandleEvent(hctx, messageNew(1, 3)); err != nil {
		t.Fatalf("HandleEvent after the consumer started: %v", err)
	}
	r.wait(t, 20*time.Second)
}

func TestOrderPerPeerAcrossConsumers(t *testing.T) {
	noLeaks(t)
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 8}
	const peers, per = 20, 50
	r := newRecord(peers * per)
	var stops []func() error
	for i := range 3 {
		c, err := NewConsumer(rdb, Config{Options: opts, Consumer: fmt.Sprint("c", i), Handler: r, LeaseTTL: time.Second, ReadBlock: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, runConsumer(t, c))
	}
	p, _ := NewProducer(rdb, opts, nil)
	for seq := range per {
		for peer := range peers {
			if err := p.HandleEvent(ctx, messageNew(int64(2000000000+peer), seq)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.wait(t, 30*time.Second)
	if repeats := r.checkOrder(t); repeats != 0 {
		t.Fatalf("%d events handled twice without a crash", repeats)
	}
	// The last acknowledgement follows the last handler's return.
	st := waitDrained(t, rdb, opts, 10*time.Second)
	for _, s := range stops {
		if err := s(); err != nil {
			t.Fatalf("Run after Close: %v", err)
		}
	}
	if len(st.Groups) != 1 || st.Groups[0].Backlog != 0 || st.Groups[0].Pending != 0 {
		t.Fatalf("stats after everything was handled: %+v", st.Groups)
	}
}

// TestCrashedConsumerEntriesClaimed: a consumer whose Redis connection
// dies in the middle of a handler keeps its partitions only until their
// leases run out; another consumer then claims the entry it left pending
// and goes on in order.
func TestCrashedConsumerEntriesClaimed(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 1}
	p, _ := NewProducer(rdb, opts, nil)
	for seq := range 20 {
		if _, err := p.Append(ctx, messageNew(5, seq)); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecord(20)
	// The first consumer records event 3, then hangs: its process is
	// taken to be dead from then on (its Redis client is closed).
	hung := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	crashing := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		if err := r.HandleEvent(ctx, e); err != nil {
			return err
		}
		if f, _ := e.MessageFields(); f.Text == "3" {
			once.Do(func() { close(hung) })
			<-release
			return errors.New("process died")
		}
		return nil
	})
	rdbA := redisClientLike(t, rdb)
	a, _ := NewConsumer(rdbA, Config{Options: opts, Consumer: "a", Handler: crashing, LeaseTTL: 500 * time.Millisecond})
	actx, acancel := context.WithCancel(ctx)
	aDone := make(chan error, 1)
	go func() { aDone <- a.Run(actx) }()
	<-hung
	_ = rdbA.Close() // the process is gone: no renewal, no acknowledgement
	b, _ := NewConsumer(rdb, Config{Options: opts, Consumer: "b", Handler: r, LeaseTTL: 500 * time.Millisecond})
	runConsumer(t, b)
	r.wait(t, 20*time.Second)
	close(release)
	acancel()
	<-aDone
	if repeats := r.checkOrder(t); repeats != 1 {
		t.Fatalf("%d events handled twice; want 1 (the one in flight at the crash)", repeats)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := r.seen["ev-5-3"]; got != 2 {
		t.Fatalf("the event in flight was handled %d times, want 2", got)
	}
}

func TestDeadLetterAndRedrive(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 2}
	p, _ := NewProducer(rdb, opts, nil)
	for seq := range 5 {
		if _, err := p.Append(ctx, messageNew(9, seq)); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecord(5)
	var mu sync.Mutex
	failing := true
	r.failFor = func(e *vkevent.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if failing && e.EventID == "ev-9-2" {
			return errors.New("payment service down: access_token=vk1.a.SECRETSECRETSECRET")
		}
		return nil
	}
	r.total = 4
	c, _ := NewConsumer(rdb, Config{Options: opts, Handler: r, MaxDeliveries: 3, ReadBlock: 100 * time.Millisecond})
	stop := runConsumer(t, c)
	r.wait(t, 20*time.Second)
	_ = stop()
	dead, err := ListDead(ctx, rdb, opts, 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters: %+v, %v", dead, err)
	}
	d := dead[0]
	if d.Event == nil || d.Event.EventID != "ev-9-2" || d.Deliveries != 3 || !strings.Contains(d.Error, "payment service down") {
		t.Fatalf("dead letter: %+v", d)
	}
	if strings.Contains(d.Error, "SECRETSECRET") {
		t.Fatalf("the dead letter's error shows a token: %q", d.Error)
	}
	st, _ := ReadStats(ctx, rdb, opts)
	if st.Dead != 1 {
		t.Fatalf("stats: %d dead, want 1", st.Dead)
	}
	// Redriven, it is handled again (the handler works now).
	mu.Lock()
	failing = false
	mu.Unlock()
	r2 := newRecord(1)
	c2, _ := NewConsumer(rdb, Config{Options: opts, Handler: r2, ReadBlock: 100 * time.Millisecond})
	runConsumer(t, c2)
	if n, err := Redrive(ctx, rdb, opts); err != nil || n != 1 {
		t.Fatalf("Redrive: %d, %v", n, err)
	}
	r2.wait(t, 20*time.Second)
	if dead, _ := ListDead(ctx, rdb, opts, 0); len(dead) != 0 {
		t.Fatalf("after redrive: %d dead letters", len(dead))
	}
}

func TestTrimKeepsWhatIsPending(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 1}
	p, _ := NewProducer(rdb, opts, nil)
	for seq := range 10 {
		if _, err := p.Append(ctx, messageNew(3, seq)); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := NewConsumer(rdb, Config{Options: opts, Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })})
	stream := keysOf(name).partition(0)
	// No group yet: nothing is trimmed.
	if err := c.trim(ctx, stream); err != nil {
		t.Fatal(err)
	}
	if err := c.ensureGroup(ctx, stream); err != nil {
		t.Fatal(err)
	}
	// Six delivered, four of them acknowledged.
	res, err := rdb.XReadGroup(ctx, redisReadArgs(c, stream, 6)).Result()
	if err != nil {
		t.Fatal(err)
	}
	msgs := res[0].Messages
	for _, m := range msgs[:4] {
		rdb.XAck(ctx, stream, c.cfg.Group, m.ID)
	}
	if err := c.trim(ctx, stream); err != nil {
		t.Fatal(err)
	}
	left, _ := rdb.XRange(ctx, stream, "-", "+").Result()
	if len(left) != 6 || left[0].ID != msgs[4].ID {
		t.Fatalf("after trim: %d entries from %v, want 6 from the first pending %s", len(left), left[0].ID, msgs[4].ID)
	}
}

func TestConsumerLifecycle(t *testing.T) {
	noLeaks(t)
	rdb, name := newRedis(t)
	h := vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })
	if _, err := NewConsumer(rdb, Config{Options: Options{Name: name}}); err == nil {
		t.Fatal("NewConsumer without a handler succeeded")
	}
	// Run may be called once: the second call fails at once.
	c, _ := NewConsumer(rdb, Config{Options: Options{Name: name}, Handler: h, ReadBlock: 100 * time.Millisecond})
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Run(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with an ended context: %v", err)
	}
	if err := c.Run(context.Background()); !errors.Is(err, vkapi.ErrAlreadyRunning) {
		t.Fatalf("second Run: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	// Close ends a running consumer: Run returns nil, every goroutine ends.
	c2, _ := NewConsumer(rdb, Config{Options: Options{Name: name}, Handler: h, ReadBlock: 100 * time.Millisecond})
	stop := runConsumer(t, c2)
	if err := stop(); err != nil && !errors.Is(err, ErrClosed) { // ErrClosed: Close came before Run
		t.Fatalf("Run after Close: %v", err)
	}
	d, _ := NewConsumer(rdb, Config{Options: Options{Name: name}, Handler: h})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Fatalf("Run after Close before Run: %v", err)
	}
}

func TestKeysShareOneHashTag(t *testing.T) {
	k := keysOf("bot")
	all := []string{k.meta(), k.partition(0), k.partition(15), k.seen("abc"), k.dead(), k.members("g"), k.lease("g", 3), k.tries("g"), k.errs("g")}
	for _, key := range all {
		if !strings.HasPrefix(key, "{vkq:bot}:") {
			t.Fatalf("key %q does not start with the queue's hash tag", key)
		}
		if strings.Count(key, "{") != 1 {
			t.Fatalf("key %q has more than one brace: its slot would not be the tag's", key)
		}
	}
}

// TestStalledWorkerStopsHandling: a worker whose lease may have run out
// (its process stalled past the renewals) hands nothing more to the
// handler until a renewal comes; the next holder would claim the entries.
func TestStalledWorkerStopsHandling(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 1}
	p, _ := NewProducer(rdb, opts, nil)
	for seq := range 3 {
		if _, err := p.Append(ctx, messageNew(4, seq)); err != nil {
			t.Fatal(err)
		}
	}
	r := newRecord(3)
	c, _ := NewConsumer(rdb, Config{Options: opts, Handler: r, LeaseTTL: time.Second})
	c.ctx = ctx
	stream := keysOf(name).partition(0)
	if err := c.ensureGroup(ctx, stream); err != nil {
		t.Fatal(err)
	}
	res, err := rdb.XReadGroup(ctx, redisReadArgs(c, stream, 3)).Result()
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{part: 0, stream: stream, quit: make(chan struct{})}
	c.renewed(w, time.Since(c.epoch)-c.cfg.LeaseTTL) // renewed a lease time ago
	if err := c.handleAll(ctx, w, res[0].Messages); err != nil {
		t.Fatal(err)
	}
	if r.mu.Lock(); len(r.seen) != 0 {
		t.Fatalf("a worker past its lease handled %d entries", len(r.seen))
	}
	r.mu.Unlock()
	c.renewed(w, time.Since(c.epoch))
	if err := c.handleAll(ctx, w, res[0].Messages); err != nil {
		t.Fatal(err)
	}
	r.wait(t, 10*time.Second)
}

// TestLostReadAnswerClaimedInOrder: a read whose answer was lost (go-redis
// sends a command again after a network error, and Redis may have run the
// first) leaves entries pending to the consumer that it never saw; the
// next read finds them and they are handled before the newer entries.
func TestLostReadAnswerClaimedInOrder(t *testing.T) {
	t.Parallel()
	rdb, name := newRedis(t)
	ctx := context.Background()
	opts := Options{Name: name, Partitions: 1}
	p, _ := NewProducer(rdb, opts, nil)
	r := newRecord(6)
	inHandler, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	gated := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		if e.EventID == "ev-6-0" {
			once.Do(func() { close(inHandler) })
			<-release
		}
		return r.HandleEvent(ctx, e)
	})
	c, _ := NewConsumer(rdb, Config{Options: opts, Consumer: "c", Handler: gated, ReadBlock: 100 * time.Millisecond})
	runConsumer(t, c)
	if _, err := p.Append(ctx, messageNew(6, 0)); err != nil {
		t.Fatal(err)
	}
	<-inHandler // the worker is busy: nothing else reads the partition now
	for seq := 1; seq <= 3; seq++ {
		if _, err := p.Append(ctx, messageNew(6, seq)); err != nil {
			t.Fatal(err)
		}
	}
	// The lost answer: entries 1 to 3 delivered to "c", which never sees them.
	if n, err := rdb.XReadGroup(ctx, redisReadArgs(c, keysOf(name).partition(0), 10)).Result(); err != nil || len(n[0].Messages) != 3 {
		t.Fatalf("the lost read: %v, %v", n, err)
	}
	for seq := 4; seq <= 5; seq++ {
		if _, err := p.Append(ctx, messageNew(6, seq)); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	r.wait(t, 20*time.Second)
	if repeats := r.checkOrder(t); repeats != 0 {
		t.Fatalf("%d repeats", repeats)
	}
}
