package vkstream

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkmock"
)

// TestChaos sends events in steady batches while the mock closes the
// socket ten times and stalls it twice, and checks against the mock's own
// log that every event sent on a connection was received exactly once,
// and that each gap the client reported covers exactly the events the
// mock made while the client was away. The batches are small, so that
// no ping waits long behind them. The control is deterministic:
// each batch is received before the next step; during an outage the mock
// refuses the upgrade until the events of the outage are made. The
// default run sends 2,000 events; VKERR_SOAK=1 sends 20,000.
func TestChaos(t *testing.T) {
	total, batch := soak.Pick(2000, 20000), 40
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	// A ping waits for its pong behind the events in flight: on a loaded
	// machine under -race, more than fast's 300 ms. A stall is noticed in
	// about half a second.
	cfg := fast
	cfg.PingTimeout = 500 * time.Millisecond
	c := m.connect(t, hc, col.config(cfg))
	if err := c.AddRule(context.Background(), Rule{Tag: "chaos", Value: "chaos"}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	col.wait(t, "the connection", func() bool { return col.conns == 1 })

	steps := total / batch
	outages := map[int]string{}
	for i := range 10 {
		outages[(i+1)*steps/13] = vkmock.StreamingClose
	}
	outages[11*steps/13], outages[12*steps/13] = vkmock.StreamingStall, vkmock.StreamingStall
	sent, outs := 0, 0
	for step := range steps {
		effect, outage := outages[step]
		if !outage {
			m.inject(t, batch, "chaos")
			sent += batch
			col.wait(t, "a batch", func() bool { return len(col.events) == sent })
			continue
		}
		outs++
		refuse := m.fault(t, vkmock.Fault{Method: "streaming.stream", HTTPStatus: http.StatusServiceUnavailable})
		m.drop(t, effect)
		col.wait(t, "the disconnection", func() bool { return len(col.discs) == outs })
		m.inject(t, batch, "chaos") // made while the client is away
		m.unfault(refuse)
		col.wait(t, "the reconnection", func() bool { return len(col.gaps) == outs && col.conns == outs+1 })
	}
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.gaps) != 12 || len(col.discs) != 12 {
		t.Fatalf("%d gaps and %d disconnections, want 12", len(col.gaps), len(col.discs))
	}
	stalls := 0
	for _, d := range col.discs {
		if errors.Is(d.Err, ErrStalled) {
			stalls++
		}
	}
	if stalls != 2 {
		t.Errorf("%d disconnections were stalls, want 2", stalls)
	}
	inGaps := make([]int, len(col.gaps))
	nSent, nMissed := 0, 0
	for _, r := range m.log() {
		var gaps []int
		for i, g := range col.gaps {
			if !r.Time.Before(g.From) && !r.Time.After(g.To) {
				gaps = append(gaps, i)
			}
		}
		switch r.State {
		case "sent":
			nSent++
			if n := col.byPost[r.PostID]; n != 1 || len(gaps) != 0 {
				t.Fatalf("event %d sent at %v: received %d times, in gaps %v", r.PostID, r.Time, n, gaps)
			}
		case "missed":
			nMissed++
			if n := col.byPost[r.PostID]; n != 0 || len(gaps) != 1 {
				t.Fatalf("event %d missed at %v: received %d times, in gaps %v", r.PostID, r.Time, n, gaps)
			}
			inGaps[gaps[0]]++
		default:
			t.Fatalf("event %d is %s", r.PostID, r.State)
		}
	}
	for i, n := range inGaps {
		if n != batch {
			t.Errorf("gap %d (%v) covers %d events, want %d", i, col.gaps[i].Duration(), n, batch)
		}
	}
	if nSent != len(col.events) || nSent+nMissed != total {
		t.Errorf("%d sent, %d missed, %d received, want %d in all", nSent, nMissed, len(col.events), total)
	}
	t.Logf("%d events: %d received, %d missed in 12 gaps (longest %v)", total, nSent, nMissed, longest(col.gaps))
}

func longest(gaps []Gap) time.Duration {
	var d time.Duration
	for _, g := range gaps {
		d = max(d, g.Duration())
	}
	return d
}
