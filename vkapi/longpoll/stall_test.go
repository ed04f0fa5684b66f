package longpoll

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkmock"
)

// vkmock's fault effect "stall" holds an a_check with no answer, the hang
// users of every SDK report. The poller gives up at Wait+TimeoutMargin,
// backs off, polls again with the same ts, and hands the event that came
// meanwhile once; three stalls in a row and it asks for a new key.
//
// The mock and the client share one synctest bubble through memTransport:
// the stalled handler waits on the request's context (a channel), so the
// bubble is durably blocked and fake time jumps to the client's timeout. A
// real listener would not do: a goroutine blocked in a socket read is not
// durably blocked, and synctest.Wait would never return.
func TestVKMockStalledCheckIsAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.mock.Close()
		if _, err := r.mock.Faults().Add(vkmock.Fault{ID: "stall", Method: "longpoll.bots", Effect: "stall", Times: 4}); err != nil {
			t.Fatal(err)
		}
		c := newCollector(2)
		var mu sync.Mutex
		var failures []string
		const wait, margin = 5 * time.Second, 2 * time.Second
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Wait: wait, TimeoutMargin: margin,
			Observer: ObserverFuncs{Recovery: func(_ context.Context, e RecoveryEvent) {
				mu.Lock()
				failures = append(failures, e.Failure)
				mu.Unlock()
			}}})
		began := time.Now()
		stop := start(t, p)
		synctest.Wait() // the first a_check is held by the stall
		r.inbox(t, 7, "during the stalls")
		if err := r.mock.Faults().Wait(t.Context(), "stall", 4); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the fourth stalled a_check is held
		r.inbox(t, 7, "after the stalls")
		<-c.signal
		elapsed := time.Since(began)
		if err := stop(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run: %v", err)
		}
		if got := c.texts[7]; len(got) != 2 || got[0] != "during the stalls" || got[1] != "after the stalls" {
			t.Fatalf("handled %q", got)
		}
		for id, n := range c.ids() {
			if n != 1 {
				t.Fatalf("event %s handled %d times", id, n)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		stalled := 0
		for _, f := range failures {
			if f == "stalled" {
				stalled++
			}
		}
		if stalled != 4 {
			t.Fatalf("recoveries %q, want 4 stalled", failures)
		}
		// Four a_checks abandoned at wait+margin each, not sooner.
		if elapsed < 4*(wait+margin) {
			t.Fatalf("done after %v: an a_check was abandoned before wait+margin", elapsed)
		}
		// A new key after the third stall in a row (plus the first).
		if n := servedCount(r.mock, "groups.getLongPollServer"); n != 2 {
			t.Fatalf("%d getLongPollServer, want 2", n)
		}
	})
}

// servedCount counts the answers to method in the mock's request log.
func servedCount(s *vkmock.Server, method string) int {
	n := 0
	for _, q := range s.Requests().All() {
		if q.Method == method {
			n++
		}
	}
	return n
}
