package eventqueue

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkevent"
)

// TestCallbackReceiversAppend: the mock's Callback sender delivers to three
// receivers behind a round-robin proxy, each appending to the queue; one
// receiver is killed (its connections cut, then shut down) in the middle
// of the run. Every event is handled, and exactly once: resends that land
// on another receiver are recognised by the queue's de-duplication.
//
// The Callback receiver of this branch answers "ok" once the event is in
// its memory queue and hands it to its handler afterwards, so its handler
// here is Producer.HandleEvent, which waits until the event is appended;
// Shutdown lets the queued events be appended before it returns.
func TestCallbackReceiversAppend(t *testing.T) {
	noLeaks(t)
	total := 500
	if soak.Enabled() {
		total = 10_000
	}
	rdb, name := newRedis(t)
	mock := newMock(t)
	opts := Options{Name: name, Partitions: 16}
	prod, err := NewProducer(rdb, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-callback"
	type backend struct {
		rc  *callback.Receiver
		srv *httptest.Server
	}
	var backends []*backend
	var targets []*url.URL
	for range 3 {
		rc, err := callback.New(callback.Config{Secret: secret, Confirmation: mock.confirmation, GroupID: mock.groupID, QueueSize: 64,
			Handler: vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error { return prod.HandleEvent(ctx, e) })})
		if err != nil {
			t.Fatal(err)
		}
		b := &backend{rc: rc, srv: httptest.NewServer(rc)}
		t.Cleanup(func() { b.srv.Close(); _ = b.rc.Close() })
		backends = append(backends, b)
		u, _ := url.Parse(b.srv.URL)
		targets = append(targets, u)
	}
	var next, badGateway atomic.Uint64
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[next.Add(1)%uint64(len(targets))])
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			badGateway.Add(1)
			w.WriteHeader(http.StatusBadGateway) // VK sends the event again
		},
	})
	t.Cleanup(proxy.Close)
	mock.fastCallback(proxy.URL, secret)

	r := newRecord(total)
	for i := range 2 {
		c, err := NewConsumer(rdb, Config{Options: opts, Consumer: fmt.Sprint("c", i), Handler: r, LeaseTTL: time.Second, ReadBlock: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		runConsumer(t, c)
	}
	for i := range total {
		if err := mock.inbox(int64(1+i%50), strconv.Itoa(i/50)); err != nil {
			t.Fatal(err)
		}
	}
	// Kill receiver 0 when a third of the events are through, while the
	// sender is busy: its connections are cut (VK sees failures and
	// resends), and what it had queued is appended before Close returns.
	accepted := func() int64 {
		var n int64
		for _, b := range backends {
			n += b.rc.Stats().Accepted
		}
		return n
	}
	waitUntil(t, 60*time.Second, "a third of the events to be accepted", func(context.Context) (bool, error) {
		return accepted() >= int64(total/3), nil
	}, func() string { return fmt.Sprint(accepted(), " accepted") })
	b := backends[0]
	b.srv.CloseClientConnections()
	b.srv.Close()
	if err := b.rc.Close(); err != nil {
		t.Fatal(err)
	}
	mock.callbackDrive(2 * time.Minute)
	r.wait(t, 60*time.Second)
	st := waitDrained(t, rdb, opts, 30*time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, _ := mock.emitted()
	for _, id := range ids {
		if r.seen[id] != 1 {
			t.Errorf("event %s handled %d times", id, r.seen[id])
		}
	}
	var stats []callback.Stats
	for _, b := range backends {
		stats = append(stats, b.rc.Stats())
	}
	t.Logf("%d events through three receivers, one killed mid-run: each handled once; %d deliveries failed at the proxy and were resent; receivers %+v; dead %d", len(ids), badGateway.Load(), stats, st.Dead)
}
