package redisdedup

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkapi/callback/callbacktest"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// roundRobin is a reverse proxy that sends each request to the next
// backend in turn, as a load balancer in front of replicas does.
type roundRobin struct {
	next    atomic.Uint64
	proxies []*httputil.ReverseProxy
}

func newRoundRobin(backends ...string) *roundRobin {
	rr := &roundRobin{}
	for _, b := range backends {
		u, _ := url.Parse(b)
		p := httputil.NewSingleHostReverseProxy(u)
		p.ErrorLog = log.New(io.Discard, "", 0) // the sender's timeouts cancel requests on purpose
		rr.proxies = append(rr.proxies, p)
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.proxies[(rr.next.Add(1)-1)%uint64(len(rr.proxies))].ServeHTTP(w, r)
}

type countingHandler struct {
	mu sync.Mutex
	n  map[string]int
	by map[string]int // replica that handled each id
}

func (h *countingHandler) replica(i int) vkevent.Handler {
	return vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.n[e.EventID]++
		h.by[e.EventID] = i
		return nil
	})
}

// TestChaosReplicas: three receivers sharing the Redis de-duplication
// behind a round-robin proxy, each failing 20% of its deliveries in every
// way: the 1,000 events (10,000 with VKERR_SOAK=1) vkmock delivers are each handled exactly once
// across them, though resends land on other replicas.
func TestChaosReplicas(t *testing.T) {
	t.Parallel()
	n := soak.Pick(1000, 10_000)
	addr := testRedisAddr(t)
	prefix := testPrefix(t)
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	sched := make([]time.Duration, 12)
	for i := range sched {
		sched[i] = time.Millisecond
	}
	mock.Callback().SetConfig(vkmock.CallbackConfig{Schedule: sched, Timeout: 300 * time.Millisecond, Pause: 20 * time.Millisecond, Senders: 8, LogSize: 100_000})
	code := mock.Callback().ConfirmationCode(vkmock.DefaultGroupID)
	h := &countingHandler{n: map[string]int{}, by: map[string]int{}}
	var receivers []*callback.Receiver
	var backends []string
	for i := range 3 {
		rc, err := callback.New(callback.Config{Secret: "s3cret", Confirmation: code, GroupID: vkmock.DefaultGroupID, Handler: h.replica(i),
			Dedup: New(testClient(t, addr), Options{Prefix: prefix})})
		if err != nil {
			t.Fatal(err)
		}
		receivers = append(receivers, rc)
		ch := &callbacktest.Chaos{Next: rc, Rate: 0.2, Seed: uint64(100 + i)}
		srv := httptest.NewServer(ch)
		defer srv.Close()
		backends = append(backends, srv.URL)
	}
	proxy := httptest.NewServer(newRoundRobin(backends...))
	defer proxy.Close()

	vkmocktest.Register(t, mock, proxy.URL, "replicas", "s3cret")

	for i := range n {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: int64(1 + i%50), GroupID: vkmock.DefaultGroupID, Text: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	for mock.Callback().Pending() > 0 {
		if err := mock.Callback().Idle(ctx); err != nil {
			t.Fatalf("sender never idle: %v", err)
		}
		mock.Clock().Advance(time.Second)
	}
	for _, rc := range receivers {
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}

	events := mock.LongPoll().Events()
	if len(h.n) != len(events) {
		t.Errorf("%d events handled, %d emitted", len(h.n), len(events))
	}
	perReplica := map[int]int{}
	for _, e := range events {
		if h.n[e.EventID] != 1 {
			t.Errorf("event %s handled %d times", e.EventID, h.n[e.EventID])
		}
		perReplica[h.by[e.EventID]]++
	}
	// Resends that landed on another replica than the one that handled
	// the event: the ones Redis had to catch.
	var dups int64
	for i, rc := range receivers {
		st := rc.Stats()
		dups += st.Duplicates
		if perReplica[i] == 0 {
			t.Errorf("replica %d handled nothing", i)
		}
	}
	outcomes := map[string]int{}
	for _, d := range mock.Callback().Deliveries() {
		outcomes[d.Outcome]++
	}
	if outcomes["given_up"] != 0 || outcomes["ok"] != len(events) || dups == 0 {
		t.Errorf("sender outcomes %v, %d duplicates caught", outcomes, dups)
	}
	t.Logf("handled per replica %v; duplicates caught %d; sender %v", perReplica, dups, outcomes)
}
