package callback

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi/callback/callbacktest"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// chaosSender is vkmock set up as a fast Callback sender: resends after
// 1 ms, pauses of 20 ms, a 200 ms timeout, all on the mock's clock (real
// time moved forward by Advance when the test has waited enough).
func chaosSender(t *testing.T) *vkmock.Server {
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	sched := make([]time.Duration, 12)
	for i := range sched {
		sched[i] = time.Millisecond
	}
	mock.Callback().SetConfig(vkmock.CallbackConfig{Schedule: sched, Timeout: 200 * time.Millisecond, Pause: 20 * time.Millisecond, Senders: 8, LogSize: 100_000})
	return mock
}

// deliverAll emits n message_new and drives the sender until nothing is
// pending: whenever it is idle, the mock's clock jumps past every resend
// and pause.
func deliverAll(t *testing.T, mock *vkmock.Server, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: int64(1 + i%50), GroupID: vkmock.DefaultGroupID, Text: "m" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range mock.LongPoll().Events() {
		ids = append(ids, e.EventID)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	for mock.Callback().Pending() > 0 {
		if err := mock.Callback().Idle(ctx); err != nil {
			t.Fatalf("sender never idle: %v (%d pending)", err, mock.Callback().Pending())
		}
		mock.Clock().Advance(time.Second)
	}
	return ids
}

// countingHandler counts the handling of each event_id.
type countingHandler struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *countingHandler) HandleEvent(_ context.Context, e *vkevent.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[e.EventID]++
	return nil
}

// checkExactlyOnce: every id handled once, nothing else handled, no
// delivery given up.
func checkExactlyOnce(t *testing.T, mock *vkmock.Server, h *countingHandler, ids []string) {
	t.Helper()
	if len(h.n) != len(ids) {
		t.Errorf("%d events handled, %d emitted", len(h.n), len(ids))
	}
	for _, id := range ids {
		if h.n[id] != 1 {
			t.Errorf("event %s handled %d times", id, h.n[id])
		}
	}
	outcomes := map[string]int{}
	for _, d := range mock.Callback().Deliveries() {
		outcomes[d.Outcome]++
	}
	if outcomes["given_up"] != 0 || outcomes["dropped"] != 0 || outcomes["ok"] != len(ids) {
		t.Errorf("sender outcomes %v for %d events", outcomes, len(ids))
	}
	t.Logf("sender outcomes %v", outcomes)
}

// TestChaos: vkmock delivers 1,000 events (10,000 with VKERR_SOAK=1) to a receiver that fails 20% of
// the deliveries in every way VK counts as a failure (5xx before and
// after handling, wrong body, BOM, timeout after handling, slow): every
// event is handled exactly once.
func TestChaos(t *testing.T) {
	t.Parallel()
	n := soak.Pick(1000, 10_000)
	mock := chaosSender(t)
	h := &countingHandler{}
	rc, err := New(Config{Secret: "s3cret", Confirmation: mock.Callback().ConfirmationCode(vkmock.DefaultGroupID), GroupID: vkmock.DefaultGroupID, Handler: h, QueueSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	chaos := &callbacktest.Chaos{Next: rc, Rate: 0.2, Seed: 13}
	srv := httptest.NewServer(chaos)
	defer srv.Close()
	vkmocktest.Register(t, mock, srv.URL, "chaos", "s3cret")
	ids := deliverAll(t, mock, n)
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, mock, h, ids)
	counts, passed := chaos.Counts()
	for _, m := range callbacktest.Modes() {
		if counts[m] == 0 {
			t.Errorf("failure mode %v never struck", m)
		}
	}
	if st := rc.Stats(); st.Duplicates == 0 || st.Handled != int64(len(ids)) {
		t.Errorf("receiver stats %+v", st)
	}
	t.Logf("chaos %v, %d passed; receiver %+v", counts, passed, rc.Stats())
}
