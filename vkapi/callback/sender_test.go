package callback_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// sender is vkmock as VK's Callback sender, the one place this test
// package reaches the mock: resends after 1 ms on the mock's clock (as
// many as a crash test needs), pauses of 20 ms, 8 POSTs at once.
type sender struct {
	mock    *vkmock.Server
	senders int
}

func newSender(t *testing.T) *sender {
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	sched := make([]time.Duration, 200)
	for i := range sched {
		sched[i] = time.Millisecond
	}
	s := &sender{mock: mock, senders: 8}
	mock.Callback().SetConfig(vkmock.CallbackConfig{Schedule: sched, Timeout: 5 * time.Second, Pause: 20 * time.Millisecond,
		Senders: s.senders, LogSize: 1_000_000, LogBytes: 256 << 20})
	return s
}

func (s *sender) code() string { return s.mock.Callback().ConfirmationCode(vkmock.DefaultGroupID) }
func (s *sender) group() int64 { return vkmock.DefaultGroupID }

// register serves h and adds it as the community's Callback server.
func (s *sender) register(t *testing.T, h *switchboard) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	vkmocktest.Register(t, s.mock, srv.URL, "crash", "s3cret")
}

// emit has n messages arrive in the community and returns their events'
// ids.
func (s *sender) emit(t *testing.T, n int) []string {
	for i := range n {
		if _, err := s.mock.World().Inbox(vkmock.InboxMessage{FromID: int64(1 + i%50), GroupID: vkmock.DefaultGroupID, Text: "m" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, e := range s.mock.LongPoll().Events() {
		ids = append(ids, e.EventID)
	}
	return ids
}

// drive runs the sender until nothing is pending: whenever it is idle,
// the mock's clock jumps past every resend and pause. When a jump brought
// no event forward, it waits for the next handled event or 20 ms of real
// time: what it waits for then is on the real clock (an in-flight claim
// in Redis expiring).
func (s *sender) drive(ctx context.Context, c *crashTest) error {
	for s.mock.Callback().Pending() > 0 {
		if err := s.mock.Callback().Idle(ctx); err != nil {
			return err
		}
		before, next := c.distinct()
		s.mock.Clock().Advance(time.Second)
		if err := s.mock.Callback().Idle(ctx); err != nil {
			return err
		}
		if after, _ := c.distinct(); after == before && s.mock.Callback().Pending() > 0 {
			t := time.NewTimer(20 * time.Millisecond)
			select {
			case <-next:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	return ctx.Err()
}

// outcomes counts the sender's deliveries by outcome.
func (s *sender) outcomes() map[string]int {
	out := map[string]int{}
	for _, d := range s.mock.Callback().Deliveries() {
		out[d.Outcome]++
	}
	return out
}
