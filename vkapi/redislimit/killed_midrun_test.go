package redislimit

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestRedisKilledMidRun: three processes send messages, each call to a
// peer of its own, while their private Redis is killed and, later,
// restarted: every call completes, each message exactly once, each
// process warns once and comes back to Redis.
func TestRedisKilledMidRun(t *testing.T) {
	soak.Require(t)                // 9 s of real time at any size: CI's soak step runs it
	rs := redistest.StartServer(t) // a private one: never kill the CI's
	s := vkmocktest.NewServer(t, vkmock.WithRequestLogSize(100000))
	tok := s.Tokens().Of(vkmock.TokenGroup).Token
	start := time.Now().Add(1500 * time.Millisecond)
	d := 5 * time.Second
	// Down for 2 s: detection, a pause of 1.155 s, then the local share;
	// back for 2 s: the grace period at the share, then the full budget.
	killAt, restartAt := start.Add(time.Second), start.Add(3*time.Second)
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(time.Until(killAt))
		rs.Kill()
		time.Sleep(time.Until(restartAt))
		restarted <- rs.Start()
	}()
	reports := runHelpers(t, 3, helperConfig{
		BaseURL: s.URL(), Token: tok, Redis: rs.Addr, Prefix: testKeyPrefix(t),
		Callers: 8, Start: start, Duration: d, Mode: "once", Probe: 250 * time.Millisecond, Margin: ciMargin,
	})
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}

	reported := map[int64]int{}
	for _, p := range reports {
		t.Logf("process %d: %d calls, %d failed, %d grants (%d when back), %d fallback requests, %d wasted, state %d",
			p.Index, p.OK, p.Failed, p.Grants, p.GrantsAtBack, p.Fallback, p.Wasted, p.State)
		if p.Failed != 0 {
			t.Errorf("process %d: %d failed calls; first: %s", p.Index, p.Failed, p.FirstErr)
		}
		for _, peer := range p.Peers {
			reported[peer]++
		}
		var warns, backs int
		for _, l := range p.Logs {
			if strings.Contains(l, logFallback) {
				warns++
				if !strings.Contains(l, `"level":"WARN"`) {
					t.Errorf("process %d: %s", p.Index, l)
				}
			}
			if strings.Contains(l, logBack) {
				backs++
			}
			if strings.Contains(l, tok) {
				t.Errorf("process %d: the token is in the log", p.Index)
			}
		}
		if warns != 1 || backs != 1 {
			t.Errorf("process %d: %d fallback warnings, %d returns; log:\n%s", p.Index, warns, backs, strings.Join(p.Logs, "\n"))
		}
		// Back on Redis: even state, and slots granted after the return.
		if p.State%2 != 0 || p.GrantsAtBack < 0 || p.Grants <= p.GrantsAtBack || p.Fallback == 0 {
			t.Errorf("process %d: state %d, grants %d (%d when back), %d fallback requests",
				p.Index, p.State, p.Grants, p.GrantsAtBack, p.Fallback)
		}
	}
	// At vkmock: one message per reported peer, none for any other, and no
	// request that failed to get one.
	sent := map[int64]int{}
	var err6, other int
	for _, rec := range s.Requests().Of("messages.send") {
		if rec.ErrorCode != nil || rec.HTTPStatus != 200 {
			if rec.ErrorCode != nil && *rec.ErrorCode == vkerr.TooMany {
				err6++
			} else {
				other++
			}
			continue
		}
		peer, err := strconv.ParseInt(rec.Param("peer_id"), 10, 64)
		if err != nil {
			t.Fatalf("peer_id %q", rec.Param("peer_id"))
		}
		sent[peer]++
	}
	dups, lost, extra := 0, 0, 0
	for peer, n := range sent {
		if n != 1 {
			dups++
		}
		if reported[peer] == 0 {
			extra++
		}
	}
	for peer, n := range reported {
		if n != 1 {
			dups++
		}
		if sent[peer] == 0 {
			lost++
		}
	}
	total := len(reported)
	t.Logf("%d messages, %d requests answered 6, %d other failures", total, err6, other)
	if dups != 0 || lost != 0 || extra != 0 || other != 0 || total < 30 {
		t.Errorf("%d messages: %d duplicated, %d lost, %d unreported, %d failed requests", total, dups, lost, extra, other)
	}
	if err6 != 0 {
		t.Errorf("%d errors 6", err6)
	}
}
