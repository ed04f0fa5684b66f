package callback_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkapi/callback/redisdedup"
	"github.com/vkerr/vkerr/vkevent"
)

// The proof of at least once across crashes: receiver processes (the test
// binary run again as TestReceiverProcess) behind one URL, fed by vkmock's
// Callback sender, killed with SIGKILL and restarted; every event is
// handled at least once after the sender's resends, and an event is
// handled twice only if it was in flight at a kill.

const receiverEnv = "VKERR_CALLBACK_RECEIVER"

// receiverConfig is what a receiver process is told, in $VKERR_CALLBACK_RECEIVER.
type receiverConfig struct {
	Secret   string        `json:"secret"`
	Code     string        `json:"code"`
	GroupID  int64         `json:"group_id"`
	Workers  int           `json:"workers"`
	Delay    time.Duration `json:"delay"` // each handling takes this long
	Redis    string        `json:"redis"` // "": the memory de-duplication
	Prefix   string        `json:"prefix"`
	ClaimTTL time.Duration `json:"claim_ttl"`
}

// TestReceiverProcess is a receiver process of the crash tests; it does
// nothing unless run by them. It prints "L addr" once it listens, and
// "H event_id" for each event its handler handled, before the handler
// returns (a line written is in the pipe even if the process is killed
// the next instant).
func TestReceiverProcess(t *testing.T) {
	raw := os.Getenv(receiverEnv)
	if raw == "" {
		t.Skip("a receiver process of the crash tests")
	}
	var cfg receiverConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	var out sync.Mutex
	handler := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		select {
		case <-time.After(cfg.Delay):
		case <-ctx.Done():
			return ctx.Err()
		}
		out.Lock()
		defer out.Unlock()
		_, err := fmt.Fprintf(os.Stdout, "H %s\n", e.EventID)
		return err
	})
	var dedup callback.Dedup
	if cfg.Redis != "" {
		dedup = redisdedup.New(redistest.Client(t, cfg.Redis), redisdedup.Options{Prefix: cfg.Prefix, ClaimTTL: cfg.ClaimTTL})
	}
	rc, err := callback.New(callback.Config{Secret: cfg.Secret, Confirmation: cfg.Code, GroupID: cfg.GroupID, Handler: handler,
		Dedup: dedup, Workers: cfg.Workers, BusyRetry: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(rc)
	srv.Start()
	out.Lock()
	fmt.Fprintf(os.Stdout, "L %s\n", srv.Listener.Addr())
	out.Unlock()
	<-t.Context().Done() // never: the parent kills the process
}

// switchboard is the one URL the sender knows: it passes each request to
// the next live receiver in turn, and holds it while none is live (a
// restart), as a load balancer in front of replicas does.
type switchboard struct {
	mu      sync.Mutex
	targets []*httputil.ReverseProxy // nil: that receiver is down
	busy    []int                    // requests in flight to each receiver
	next    int
	changed chan struct{} // closed and replaced on every change
}

func newSwitchboard(n int) *switchboard {
	return &switchboard{targets: make([]*httputil.ReverseProxy, n), busy: make([]int, n), changed: make(chan struct{})}
}

// inFlight returns the number of requests in flight to receiver i.
func (b *switchboard) inFlight(i int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.busy[i]
}

// set makes receiver i live at addr, or down when addr is "".
func (b *switchboard) set(i int, addr string) {
	var p *httputil.ReverseProxy
	if addr != "" {
		p = httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
		p.ErrorLog = log.New(io.Discard, "", 0) // a killed receiver's requests fail on purpose
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.targets[i] = p
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *switchboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		b.mu.Lock()
		var p *httputil.ReverseProxy
		i := 0
		for range b.targets {
			i = b.next % len(b.targets)
			p = b.targets[i]
			b.next++
			if p != nil {
				b.busy[i]++
				break
			}
		}
		ch := b.changed
		b.mu.Unlock()
		if p != nil {
			p.ServeHTTP(w, r)
			b.mu.Lock()
			b.busy[i]--
			b.mu.Unlock()
			return
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			http.Error(w, "no receiver", http.StatusBadGateway)
			return
		}
	}
}

// crashTest runs receiver processes and counts what they handled.
type crashTest struct {
	t     *testing.T
	cfg   receiverConfig
	board *switchboard
	procs []*receiverProc

	// atKills counts the deliveries in flight to a receiver when it was
	// killed: the only events that may be handled twice.
	atKills int

	mu      sync.Mutex
	handled map[string]int
	changed chan struct{} // closed and replaced on every handled event
}

type receiverProc struct {
	cmd  *exec.Cmd
	read chan struct{} // closed when its output is read to the end
}

func newCrashTest(t *testing.T, cfg receiverConfig, replicas int) *crashTest {
	c := &crashTest{t: t, cfg: cfg, board: newSwitchboard(replicas), procs: make([]*receiverProc, replicas),
		handled: map[string]int{}, changed: make(chan struct{})}
	t.Cleanup(func() {
		for i := range c.procs {
			c.kill(i)
		}
	})
	for i := range replicas {
		c.start(i)
	}
	return c
}

// start runs receiver i and puts it on the switchboard once it listens.
func (c *crashTest) start(i int) {
	t := c.t
	raw, _ := json.Marshal(c.cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^TestReceiverProcess$", "-test.count=1")
	cmd.Env = testrun.ChildEnv(receiverEnv + "=" + string(raw))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &receiverProc{cmd: cmd, read: make(chan struct{})}
	c.procs[i] = p
	sc := bufio.NewScanner(stdout)
	addr := ""
	for addr == "" && sc.Scan() {
		addr, _ = strings.CutPrefix(sc.Text(), "L ")
	}
	if addr == "" {
		close(p.read)
		t.Fatalf("receiver %d did not start: %v", i, sc.Err())
	}
	go func() {
		defer close(p.read)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "H "); ok {
				c.record(id)
			}
		}
	}()
	c.board.set(i, addr)
}

// kill takes receiver i off the switchboard and SIGKILLs it.
func (c *crashTest) kill(i int) {
	p := c.procs[i]
	if p == nil {
		return
	}
	c.procs[i] = nil
	c.board.set(i, "") // no new request goes to it
	c.atKills += c.board.inFlight(i)
	_ = p.cmd.Process.Kill()
	<-p.read // every line it wrote is counted
	_ = p.cmd.Wait()
}

func (c *crashTest) record(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handled[id]++
	close(c.changed)
	c.changed = make(chan struct{})
}

// distinct returns the number of events handled, and a channel closed at
// the next one.
func (c *crashTest) distinct() (int, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.handled), c.changed
}

// waitHandled waits until n events were handled.
func (c *crashTest) waitHandled(ctx context.Context, n int) error {
	for {
		got, ch := c.distinct()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d events handled, waiting for %d: %w", got, n, ctx.Err())
		}
	}
}

// run feeds n events through the sender, kills a receiver (in turn) each
// time another quarter is handled and restarts it, and checks the
// outcome: every event handled, repeats no more than could be in flight.
func (c *crashTest) run(s *sender, n, kills int) {
	t := c.t
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	ids := s.emit(t, n)
	driven := make(chan error, 1)
	go func() { driven <- s.drive(ctx, c) }()
	for k := range kills {
		if err := c.waitHandled(ctx, n*(k+1)/(kills+1)); err != nil {
			t.Fatal(err)
		}
		if got, _ := c.distinct(); got >= n {
			t.Fatalf("kill %d came after every event was handled: it proves nothing", k+1)
		}
		c.kill(k % len(c.procs))
		c.start(k % len(c.procs))
	}
	if err := <-driven; err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	repeats, missing := 0, 0
	for _, id := range ids {
		switch h := c.handled[id]; {
		case h == 0:
			missing++
		case h > 1:
			repeats += h - 1
		}
	}
	outcomes := s.outcomes()
	bound := c.atKills
	t.Logf("%d events, %d receivers, %d kills (SIGKILL): %d handled, %d missing, %d repeats (%d deliveries in flight at the kills); sender %v",
		n, len(c.procs), kills, len(c.handled), missing, repeats, bound, outcomes)
	if missing != 0 || len(c.handled) != n || outcomes["given_up"] != 0 || outcomes["dropped"] != 0 || outcomes["ok"] != n {
		t.Fatalf("%d of %d events never handled; %d handled; sender %v", missing, n, len(c.handled), outcomes)
	}
	if repeats > bound {
		t.Fatalf("%d repeats, more than the %d events in flight at the kills", repeats, bound)
	}
}

// crashEvents is the number of events of a crash test: 500, or 10,000
// with VKERR_SOAK=1.
func crashEvents() int { return soak.Pick(500, 10_000) }

// TestCrashAtLeastOnce: one receiver process with the memory
// de-duplication, killed three times.
func TestCrashAtLeastOnce(t *testing.T) {
	t.Parallel()
	s := newSender(t)
	c := newCrashTest(t, receiverConfig{Secret: "s3cret", Code: s.code(), GroupID: s.group(), Workers: 4, Delay: time.Millisecond}, 1)
	s.register(t, c.board)
	c.run(s, crashEvents(), 3)
}

// TestCrashAtLeastOnceReplicas: three receiver processes sharing the Redis
// de-duplication behind the switchboard, one killed in turn three times:
// the in-flight claims of a killed receiver expire (ClaimTTL) and their
// events are handled by another.
func TestCrashAtLeastOnceReplicas(t *testing.T) {
	t.Parallel()
	addr := redistest.Addr(t)
	s := newSender(t)
	prefix := fmt.Sprintf("vkerr-test:%s:%d:", t.Name(), time.Now().UnixNano())
	c := newCrashTest(t, receiverConfig{Secret: "s3cret", Code: s.code(), GroupID: s.group(), Workers: 4, Delay: time.Millisecond,
		Redis: addr, Prefix: prefix, ClaimTTL: 500 * time.Millisecond}, 3)
	s.register(t, c.board)
	c.run(s, crashEvents(), 3)
}
