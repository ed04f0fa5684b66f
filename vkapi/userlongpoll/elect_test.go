package userlongpoll

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// electMock is this file's one way to the mock: a server with its limits
// off (the replicas poll often).
func electMock(t *testing.T) *vkmock.Server {
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	return mock
}

// replicaLog records, for each replica, the message ids it handled, and
// signals every handled update on tick.
type replicaLog struct {
	mu   sync.Mutex
	by   [2][]int64
	seen map[int64]int
	last map[int64]int64 // per peer, the last message id handled
	late []int64         // ids handled after a later one of their peer
	tick chan struct{}
}

func (l *replicaLog) handler(replica int) Handler {
	return HandlerFunc(func(_ context.Context, u *Update) error {
		m, err := u.Message()
		if err != nil || u.Code != CodeNewMessage {
			return nil
		}
		l.mu.Lock()
		l.by[replica] = append(l.by[replica], m.MessageID)
		l.seen[m.MessageID]++
		if m.MessageID < l.last[m.PeerID] {
			l.late = append(l.late, m.MessageID)
		}
		l.last[m.PeerID] = max(l.last[m.PeerID], m.MessageID)
		l.mu.Unlock()
		select {
		case l.tick <- struct{}{}:
		default:
		}
		return nil
	})
}

// waitAll waits until every id was handled at least once.
func (l *replicaLog) waitAll(ctx context.Context, ids []int64) bool {
	for {
		l.mu.Lock()
		all := true
		for _, id := range ids {
			if l.seen[id] == 0 {
				all = false
				break
			}
		}
		l.mu.Unlock()
		if all {
			return true
		}
		select {
		case <-l.tick:
		case <-ctx.Done():
			return false
		}
	}
}

// Two User Long Poll replicas elected through redisstore.RunElected under
// the user's id: the holder polls, the other waits; the holder's context
// is ended while messages arrive, the other takes over from the position
// the holder saved, and no message is lost. What is handled twice is only
// what was in flight when the holder stopped; each peer's messages come in
// order.
func TestReplicasTakeOver(t *testing.T) {
	n := soak.Pick(60, 600)
	addr := redistest.Addr(t)
	rdb := redistest.Client(t, addr)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "ulptest-" + hex.EncodeToString(b[:]) + ":"
	store := redisstore.New(rdb, prefix)
	mock := electMock(t)
	w := newWorld(t, mock)
	tok := mock.Tokens().Of(vkmock.TokenUser)
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	newAPI := func() *vkapi.Client {
		api := vkapi.New(tok.Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}))
		t.Cleanup(func() { _ = api.Close() })
		return api
	}
	first := start(t, newAPI())
	log := &replicaLog{seen: map[int64]int{}, last: map[int64]int64{}, tick: make(chan struct{}, 1)}
	elected := make(chan int, 2)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var rctx [2]context.Context
	var stop [2]context.CancelFunc
	done := make(chan error, 2)
	for i := range 2 {
		rctx[i], stop[i] = context.WithCancel(ctx)
		defer stop[i]()
		api := newAPI()
		go func() {
			done <- store.RunElected(rctx[i], tok.UserID, 600*time.Millisecond, func(ctx context.Context, st longpoll.Store, _ redisstore.Lease) error {
				elected <- i
				p := New(api, Config{Handler: log.handler(i), Store: st, UserID: tok.UserID, Start: first, Wait: time.Second,
					BackoffMin: time.Millisecond, BackoffMax: 50 * time.Millisecond})
				return p.Run(ctx)
			})
		}()
	}
	var holder int
	select {
	case holder = <-elected:
	case <-ctx.Done():
		t.Fatal("no replica was elected")
	}
	var ids []int64
	for i := range n / 2 {
		ids = append(ids, w.send(t, i))
	}
	if !log.waitAll(ctx, ids) {
		t.Fatalf("the holder did not handle the first %d messages", n/2)
	}
	// Mid-run: messages keep coming while the holder is stopped.
	for i := n / 2; i < n; i++ {
		ids = append(ids, w.send(t, i))
		if i == n/2+n/8 {
			stop[holder]()
		}
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped replica's RunElected: %v", err)
	}
	select {
	case next := <-elected:
		if next == holder {
			t.Fatal("the stopped replica was elected again")
		}
	case <-ctx.Done():
		t.Fatal("the other replica did not take over")
	}
	if !log.waitAll(ctx, ids) {
		log.mu.Lock()
		var missing []int64
		for _, id := range ids {
			if log.seen[id] == 0 {
				missing = append(missing, id)
			}
		}
		log.mu.Unlock()
		t.Fatalf("lost after the takeover: %v", missing)
	}
	stop[1-holder]()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the successor's RunElected: %v", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	twice := 0
	for _, id := range ids {
		if log.seen[id] > 1 {
			twice++
		}
	}
	// The successor resumes from the last saved update: at most the one
	// in flight when the holder stopped repeats.
	if twice > 1 || len(log.by[1-holder]) == 0 || len(log.late) > 0 {
		t.Fatalf("out of order per peer %v; %d handled twice; holder %d handled %d, successor %d", log.late, twice, holder, len(log.by[holder]), len(log.by[1-holder]))
	}
	t.Logf("holder handled %d, successor %d, repeated %d", len(log.by[holder]), len(log.by[1-holder]), twice)
}
