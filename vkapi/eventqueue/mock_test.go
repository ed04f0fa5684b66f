package eventqueue

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// mockVK is what the tests of this package use of vkmock, gathered in
// newMock: the one place that names vkmock's Go API.
type mockVK struct {
	url, token string
	groupID    int64
	// inbox emits a message_new from a user to the community.
	inbox func(from int64, text string) error
	// emitted lists the event_ids emitted so far, and which of them a
	// forced {"failed":3} lost for Long Poll clients.
	emitted func() (ids []string, lost map[string]bool)
	// longPollFaults sets up Long Poll failures of every kind the issue
	// names: 5xx, connection resets, truncated answers, failed 1 and 2 at
	// random, and one failed 3.
	longPollFaults func()
	// faultsFired counts the times each fault rule fired, by its kind.
	faultsFired func() map[string]int64
	// fastCallback makes the Callback sender resend after 1 ms of the
	// mock's clock, and registers u as the community's server.
	fastCallback func(u, secret string)
	// callbackDrive moves the mock's clock on until the sender has
	// nothing pending, or fails t after d.
	callbackDrive func(d time.Duration)
	confirmation  string
}

func newMock(t *testing.T) *mockVK {
	t.Helper()
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	if err := s.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	m := &mockVK{url: s.URL(), token: s.Tokens().Of(vkmock.TokenGroup).Token, groupID: vkmock.DefaultGroupID,
		confirmation: s.Callback().ConfirmationCode(vkmock.DefaultGroupID)}
	m.inbox = func(from int64, text string) error {
		_, err := s.World().Inbox(vkmock.InboxMessage{FromID: from, GroupID: vkmock.DefaultGroupID, Text: text})
		return err
	}
	m.emitted = func() ([]string, map[string]bool) {
		var ids []string
		lost := map[string]bool{}
		for _, e := range s.LongPoll().Events() {
			ids = append(ids, e.EventID)
			if e.Lost {
				lost[e.EventID] = true
			}
		}
		return ids, lost
	}
	m.longPollFaults = func() {
		// Each kind once early at a high rate, so that even a short run
		// meets them all, then at a low rate; failed 3 once in all.
		var faults []vkmock.Fault
		for _, f := range []vkmock.Fault{{HTTPStatus: 503}, {Effect: "reset"}, {Effect: "truncate"}, {Failed: 1}, {Failed: 2}} {
			early, later := f, f
			early.Probability, early.Times = 0.25, 1
			later.Probability = 0.04
			faults = append(faults, early, later)
		}
		faults = append(faults, vkmock.Fault{Failed: 3, Probability: 0.1, Times: 1})
		for _, f := range faults {
			f.Method = "longpoll.bots"
			if _, err := s.Faults().Add(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.faultsFired = func() map[string]int64 {
		out := map[string]int64{}
		for _, f := range s.Faults().List() {
			kind := f.Effect
			switch {
			case f.HTTPStatus != 0:
				kind = strconv.Itoa(f.HTTPStatus)
			case f.Failed != 0:
				kind = "failed " + strconv.Itoa(f.Failed)
			}
			out[kind] += f.Fired
		}
		return out
	}
	m.fastCallback = func(u, secret string) {
		sched := make([]time.Duration, 20)
		for i := range sched {
			sched[i] = time.Millisecond
		}
		s.Callback().SetConfig(vkmock.CallbackConfig{Schedule: sched, Timeout: 2 * time.Second, Pause: 20 * time.Millisecond, Senders: 8, LogSize: 100_000})
		vkmocktest.Register(t, s, u, "queue", secret)
	}
	m.callbackDrive = func(d time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), d)
		defer cancel()
		for s.Callback().Pending() > 0 {
			if err := s.Callback().Idle(ctx); err != nil {
				t.Fatalf("the Callback sender is never idle: %v (%d pending)", err, s.Callback().Pending())
			}
			s.Clock().Advance(time.Second)
		}
		for _, d := range s.Callback().Deliveries() {
			if d.Outcome == "given_up" || d.Outcome == "dropped" {
				t.Fatalf("the sender gave up a delivery: %+v", d)
			}
		}
	}
	return m
}
