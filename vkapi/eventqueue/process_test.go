package eventqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkevent"
)

// The tests with processes run the test binary again as TestQueueChild,
// with $VKERR_QUEUE_CHILD (a childConfig in JSON) naming its role: a
// consumer that records each event it handles in a Redis list, or a Bots
// Long Poll producer elected among its peers.

const childEnv = "VKERR_QUEUE_CHILD"

// childConfig is what a child process is told.
type childConfig struct {
	Role   string  `json:"role"` // "consumer" or "producer"
	ID     string  `json:"id"`
	Redis  string  `json:"redis"`
	Queue  Options `json:"queue"`
	Record string  `json:"record"` // the list a consumer records in
	// Consumer: its handler sleeps Delay; Serial makes the process run
	// one handler at a time (a process whose handling capacity is one).
	Delay    time.Duration `json:"delay"`
	Serial   bool          `json:"serial"`
	LeaseTTL time.Duration `json:"lease_ttl"`
	// Producer: the mock, the community, and where the Long Poll
	// position and the election live; Dups counts the events a
	// producer appended again and the queue recognised.
	MockURL  string `json:"mock_url"`
	Token    string `json:"token"`
	GroupID  int64  `json:"group_id"`
	LPPrefix string `json:"lp_prefix"`
	Leader   string `json:"leader"` // the key the elected producer writes its pid to
	Dups     string `json:"dups"`
	Appended string `json:"appended"` // counts the events appended
}

// TestQueueChild is a child process of the tests below; it does nothing
// in a normal run.
func TestQueueChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("a child process of the tests with processes")
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	// The parent holds the other end of stdin: when it dies, however it
	// dies, the child ends too.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis, PoolSize: 40})
	defer rdb.Close()
	var err error
	switch cfg.Role {
	case "consumer":
		err = runChildConsumer(rdb, cfg)
	case "producer":
		err = runChildProducer(rdb, cfg)
	default:
		err = fmt.Errorf("unknown role %q", cfg.Role)
	}
	t.Fatal(err) // a child runs until it is killed
}

// runChildConsumer consumes until the process is killed. Each handling is
// recorded as "consumer event_id peer text handled_unix_nano" when it
// starts; then the handler works for Delay.
func runChildConsumer(rdb *redis.Client, cfg childConfig) error {
	var serial sync.Mutex
	h := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		f, ok := e.MessageFields()
		if !ok {
			return fmt.Errorf("not a message: %s", e.Type)
		}
		// Recorded first, then the work: a kill during the work leaves
		// a recorded event unacknowledged, to be handled again.
		rec := fmt.Sprintf("%s %s %d %s %d", cfg.ID, e.EventID, f.PeerID, f.Text, time.Now().UnixNano())
		if err := rdb.RPush(ctx, cfg.Record, rec).Err(); err != nil {
			return err
		}
		if cfg.Serial {
			serial.Lock()
			defer serial.Unlock()
		}
		time.Sleep(cfg.Delay)
		return nil
	})
	c, err := NewConsumer(rdb, Config{Options: cfg.Queue, Consumer: cfg.ID, Handler: h, LeaseTTL: cfg.LeaseTTL, ReadBlock: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	return c.Run(context.Background())
}

// runChildProducer is a Bots Long Poll producer, elected among its peers,
// with its position in the queue's Redis, as vk listen --queue runs it.
func runChildProducer(rdb *redis.Client, cfg childConfig) error {
	prod, err := NewProducer(rdb, cfg.Queue, nil)
	if err != nil {
		return err
	}
	h := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		a, err := prod.Append(ctx, e)
		if err != nil {
			return prod.HandleEvent(ctx, e)
		}
		if a.Duplicate {
			return rdb.Incr(ctx, cfg.Dups).Err()
		}
		return rdb.Incr(ctx, cfg.Appended).Err()
	})
	api := vkapi.New(cfg.Token, vkapi.WithBaseURL(cfg.MockURL), vkapi.WithTokenKind(vkapi.KindGroup))
	store := redisstore.New(rdb, cfg.LPPrefix)
	return store.RunElected(context.Background(), cfg.GroupID, 500*time.Millisecond, func(ctx context.Context, st longpoll.Store, _ redisstore.Lease) error {
		if err := rdb.Set(ctx, cfg.Leader, os.Getpid(), 0).Err(); err != nil {
			return err
		}
		return longpoll.New(api, longpoll.Config{GroupID: cfg.GroupID, Handler: h, Store: st, Wait: time.Second}).Run(ctx)
	})
}

// child is a process started by a test; it is killed when the test ends.
type child struct {
	cfg    childConfig
	cmd    *exec.Cmd
	stdin  io.WriteCloser // closed only when the parent ends
	stderr *syncbuf.Buffer
	killed bool
}

// startChild starts a child process with cfg.
func startChild(t testing.TB, cfg childConfig) *child {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestQueueChild$", "-test.v=false")
	cmd.Env = testrun.ChildEnv(childEnv + "=" + string(raw))
	c := &child{cfg: cfg, cmd: cmd, stderr: &syncbuf.Buffer{}}
	cmd.Stderr = c.stderr
	cmd.Stdout = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !c.killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		_ = c.stdin.Close()
		if t.Failed() {
			t.Logf("child %s output:\n%s", cfg.ID, tail(c.stderr.String(), 3000))
		}
	})
	return c
}

// kill ends the child with SIGKILL: no cleanup of any kind runs.
func (c *child) kill(t testing.TB) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	c.killed = true
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// handling is one record of a consumer.
type handling struct {
	consumer, eventID string
	peer              int64
	text              string
	at                time.Time
}

// records reads the records of the consumers as they come.
type records struct {
	rdb  *redis.Client
	key  string
	all  []handling
	seen map[string]int
}

func newRecords(rdb *redis.Client, key string) *records {
	return &records{rdb: rdb, key: key, seen: map[string]int{}}
}

// poll reads the records added since the last poll.
func (r *records) poll(ctx context.Context) error {
	raw, err := r.rdb.LRange(ctx, r.key, int64(len(r.all)), -1).Result()
	if err != nil {
		return err
	}
	for _, s := range raw {
		f := strings.Fields(s)
		if len(f) != 5 {
			return fmt.Errorf("bad record %q", s)
		}
		peer, _ := strconv.ParseInt(f[2], 10, 64)
		ns, _ := strconv.ParseInt(f[4], 10, 64)
		r.all = append(r.all, handling{consumer: f[0], eventID: f[1], peer: peer, text: f[3], at: time.Unix(0, ns)})
		r.seen[f[1]]++
	}
	return nil
}

// waitFor polls the records until cond holds, failing t after d.
func (r *records) waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	waitUntil(t, d, what, func(ctx context.Context) (bool, error) {
		if err := r.poll(ctx); err != nil {
			return false, err
		}
		return cond(), nil
	}, func() string { return fmt.Sprintf("%d handlings of %d events", len(r.all), len(r.seen)) })
}

// waitUntil calls cond every 10 ms until it holds, failing t after d with
// state(). What it waits on is in other processes or in Redis: there is
// no event to wait on, so it polls, within a deadline.
func waitUntil(t testing.TB, d time.Duration, what string, cond func(context.Context) (bool, error), state func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond(ctx)
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %s after %s", what, state(), d)
		case <-tick.C:
		}
	}
}

// checkFirstInOrder checks that for each peer the first handling of each
// event comes in the order of the texts (the peer's sequence numbers),
// and returns how many handlings were repeats.
func (r *records) checkFirstInOrder(t *testing.T) (repeats int) {
	t.Helper()
	first := map[string]bool{}
	last := map[int64]int{}
	for _, h := range r.all {
		if first[h.eventID] {
			repeats++
			continue
		}
		first[h.eventID] = true
		seq, err := strconv.Atoi(h.text)
		if err != nil {
			t.Fatalf("record of %s: text %q", h.eventID, h.text)
		}
		if prev, ok := last[h.peer]; ok && seq <= prev {
			t.Fatalf("peer %d: message %d first handled after %d", h.peer, seq, prev)
		}
		last[h.peer] = seq
	}
	return repeats
}

// waitDrained waits until the group has nothing pending or not yet
// delivered, or fails t after d.
func waitDrained(t testing.TB, rdb redis.UniversalClient, opts Options, d time.Duration) Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := ReadStats(ctx, rdb, opts)
		if err == nil && len(st.Groups) == 1 && st.Groups[0].Backlog == 0 && st.Groups[0].Pending == 0 {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the queue is not drained after %s: %+v, %v", d, st.Groups, err)
		case <-tick.C:
		}
	}
}

// heldBy counts the partitions whose lease consumer holds in group.
func heldBy(ctx context.Context, t testing.TB, rdb redis.UniversalClient, opts Options, group, consumer string) int {
	t.Helper()
	o, _ := opts.withDefaults()
	k := keysOf(o.Name)
	n := 0
	for i := range o.Partitions {
		if v, _ := rdb.Get(ctx, k.lease(group, i)).Result(); v == consumer {
			n++
		}
	}
	return n
}
