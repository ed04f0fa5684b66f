package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// Three replicas, one poller at a time: the holder is killed (its context
// ends) twice and another takes over, with a higher fence each time.
func TestRunElectedOnePollerAtATime(t *testing.T) {
	rdb := testRedis(t)
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	var active atomic.Int32
	type term struct {
		replica int
		fence   int64
	}
	started := make(chan term, 8)
	var cancels [3]context.CancelFunc
	var wg sync.WaitGroup
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		wg.Go(func() {
			_ = s.RunElected(ctx, 1, 300*time.Millisecond, func(ctx context.Context, store longpoll.Store, l Lease) error {
				if n := active.Add(1); n != 1 {
					t.Errorf("%d pollers at once", n)
				}
				defer active.Add(-1)
				if err := store.Save(ctx, 1, longpoll.Position{TS: fmt.Sprint(l.Fence), Handled: []string{"e1"}}); err != nil {
					t.Errorf("holder's save: %v", err)
				}
				started <- term{i, l.Fence}
				<-ctx.Done()
				return ctx.Err()
			})
		})
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	var terms []term
	for range 3 {
		select {
		case tm := <-started:
			terms = append(terms, tm)
			cancels[tm.replica]() // the poller dies
		case <-time.After(10 * time.Second):
			t.Fatalf("no takeover after %v", terms)
		}
	}
	if terms[0].replica == terms[1].replica || terms[1].replica == terms[2].replica || terms[0].fence >= terms[1].fence || terms[1].fence >= terms[2].fence {
		t.Fatalf("terms %v", terms)
	}
	if pos, err := s.Load(context.Background(), 1); err != nil || pos.TS != fmt.Sprint(terms[2].fence) || len(pos.Handled) != 1 {
		t.Fatalf("stored position %+v %v", pos, err)
	}
}

// A holder whose lease was taken saves nothing and stops polling.
func TestRunElectedFencing(t *testing.T) {
	rdb := testRedis(t)
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	holding := make(chan longpoll.Store)
	ended := make(chan struct{})
	go func() {
		_ = s.RunElected(ctx, 1, 300*time.Millisecond, func(pctx context.Context, store longpoll.Store, _ Lease) error {
			select {
			case holding <- store:
			case <-pctx.Done():
				return pctx.Err()
			}
			<-pctx.Done()
			close(ended)
			<-ctx.Done() // stay out of the race for the lease
			return pctx.Err()
		})
	}()
	store := <-holding
	handled := []string{"e1"} // the next Save of ts 5 only appends "e2"
	if err := store.Save(ctx, 1, longpoll.Position{TS: "5", Handled: handled}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, s.leaseKey(1), "someone-else:999", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, 1, longpoll.Position{TS: "5", Handled: append(handled, "e2")}); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("an appending save under a lost lease: %v", err)
	}
	if err := store.Save(ctx, 1, longpoll.Position{TS: "6"}); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("a replacing save under a lost lease: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the deposed poller did not stop")
	}
	if pos, _ := s.Load(ctx, 1); pos.TS != "5" || !slices.Equal(pos.Handled, []string{"e1"}) {
		t.Fatalf("a deposed poller saved %+v", pos)
	}
}

// A holder stopped between two events of one answer, then the next
// holder: the events whose handler returned are not delivered again.
func TestRunElectedResumesMidAnswer(t *testing.T) {
	rdb := testRedis(t)
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	mock := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	const total, stopAfter = 12, 4
	for i := range total {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(context.Background(), vkmock.DefaultGroupID, longpoll.Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindGroup))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var texts []string
	var fences []int64
	err := s.RunElected(ctx, vkmock.DefaultGroupID, time.Second, func(lctx context.Context, store longpoll.Store, l Lease) error {
		term := len(fences)
		fences = append(fences, l.Fence)
		pctx, stop := context.WithCancel(lctx)
		defer stop()
		h := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
			f, _ := e.MessageFields()
			mu.Lock()
			defer mu.Unlock()
			texts = append(texts, f.Text)
			if term == 0 && len(texts) == stopAfter {
				stop() // the first holder stops after its fourth event
			}
			if len(texts) == total {
				cancel()
			}
			return nil
		})
		return longpoll.New(api, longpoll.Config{GroupID: vkmock.DefaultGroupID, Handler: h, Store: store, Wait: time.Second}).Run(pctx)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunElected: %v", err)
	}
	want := make([]string, total)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	if len(fences) != 2 || !slices.Equal(texts, want) {
		t.Fatalf("terms %v, handled %v", fences, texts)
	}
}

// pauseAfterFirst is a go-redis hook that holds its client, after the
// answer to its first command on a key under prefix, until released: a
// replica stopped between two steps of taking the lease, if taking it has
// two. (The connection's handshake passes, and is no such command.)
type pauseAfterFirst struct {
	prefix  string
	once    sync.Once
	paused  chan struct{}
	release chan struct{}
}

func (p *pauseAfterFirst) DialHook(next redis.DialHook) redis.DialHook { return next }
func (p *pauseAfterFirst) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (p *pauseAfterFirst) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if strings.Contains(fmt.Sprint(cmd.Args()...), p.prefix) {
			p.once.Do(func() {
				close(p.paused)
				<-p.release
			})
		}
		return err
	}
}

// A replica stopped in the middle of taking the lease while another takes
// it and lets it go: if the first then holds the lease, its fence is higher
// than its predecessor's. (Taking the fence (INCR) and the lease (SET NX)
// in two commands let the first hold a lower fence than the term before
// it: TestRunElectedOnePollerAtATime failed 3 runs in 20.)
func TestAcquireFencesIncreaseWithTerms(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano())
	hook := &pauseAfterFirst{prefix: prefix, paused: make(chan struct{}), release: make(chan struct{})}
	slow := redistest.Client(t, addr)
	slow.AddHook(hook)
	a, b := New(slow, prefix), New(redistest.Client(t, addr), prefix)
	ctx := context.Background()
	type result struct {
		l   Lease
		ok  bool
		err error
	}
	release := sync.OnceFunc(func() { close(hook.release) })
	defer release() // a failing test does not leave the replica paused
	done := make(chan result, 1)
	go func() {
		l, ok, err := a.acquire(ctx, 1, "a", time.Minute)
		done <- result{l, ok, err}
	}()
	<-hook.paused
	lb, okB, err := b.acquire(ctx, 1, "b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if okB {
		if err := releaseScript.Run(ctx, b.rdb, []string{b.leaseKey(1)}, lb.value).Err(); err != nil {
			t.Fatal(err)
		}
	}
	release()
	ra := <-done
	if ra.err != nil {
		t.Fatal(ra.err)
	}
	if !ra.ok && !okB {
		t.Fatal("neither replica took the free lease")
	}
	if ra.ok && okB && ra.l.Fence <= lb.Fence {
		t.Fatalf("the later holder's fence %d is not above its predecessor's %d", ra.l.Fence, lb.Fence)
	}
}
