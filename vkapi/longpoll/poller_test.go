package longpoll

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

func TestDeliversInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		c := newCollector(20)
		var polls []PollEvent
		var mu sync.Mutex
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Observer: ObserverFuncs{Poll: func(_ context.Context, e PollEvent) {
			mu.Lock()
			polls = append(polls, e)
			mu.Unlock()
		}}})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for i := range 20 {
			r.inbox(t, 7, strconv.Itoa(i))
			if i%7 == 0 {
				time.Sleep(time.Second)
			}
		}
		<-c.signal
		if err := stop(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run: %v", err)
		}
		want := make([]string, 20)
		for i := range want {
			want[i] = strconv.Itoa(i)
		}
		if !slices.Equal(c.texts[7], want) {
			t.Fatalf("order: %v", c.texts[7])
		}
		if p.group != vkmock.DefaultGroupID || len(polls) == 0 {
			t.Fatalf("group %d polls %d", p.group, len(polls))
		}
	})
}

// Keys expire every few events: a new key, the same ts, nothing lost.
func TestFailed2KeepsTS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.mock.LongPoll().SetConfig(vkmock.LongPollConfig{KeyLifetime: time.Minute})
		c := newCollector(30)
		var recoveries []string
		var mu sync.Mutex
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Observer: ObserverFuncs{Recovery: func(_ context.Context, e RecoveryEvent) {
			mu.Lock()
			recoveries = append(recoveries, e.Failure)
			mu.Unlock()
		}}, OnGap: func(g Gap) { t.Errorf("gap %+v", g) }})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for i := range 30 {
			r.inbox(t, 7, strconv.Itoa(i))
			if i%10 == 9 {
				r.mock.LongPoll().Expire(vkmock.DefaultGroupID)
			}
			time.Sleep(20 * time.Second) // past the key lifetime every third event
		}
		<-c.signal
		stop()
		if len(c.ids()) != 30 || !slices.Contains(recoveries, "failed_2") {
			t.Fatalf("%d events, recoveries %v", len(c.ids()), recoveries)
		}
	})
}

// failed 3: the reported gap holds exactly the events the mock lost.
func TestFailed3ReportsTheLostEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var gaps []Gap
		c := newCollector(-1)
		gate := make(chan struct{})
		h := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
			if f, _ := e.MessageFields(); f.Text == "gate" {
				<-gate // the poller is busy: what comes now waits on the server
			}
			return c.HandleEvent(ctx, e)
		})
		p := New(r.api, Config{Handler: h, HTTPClient: r.hc, OnGap: func(g Gap) { gaps = append(gaps, g) }})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for round := range 3 {
			for i := range 5 {
				r.inbox(t, 7, fmt.Sprint(round, i))
			}
			r.inbox(t, 7, "gate")
			synctest.Wait() // the handler holds the gate
			for i := range 3 {
				r.inbox(t, 7, fmt.Sprint(round, "lost", i))
			}
			r.mock.LongPoll().Lose(vkmock.DefaultGroupID)
			gate <- struct{}{}
			synctest.Wait()
		}
		r.inbox(t, 7, "last")
		synctest.Wait()
		stop()
		handled := c.ids()
		inGap := func(ts int64) bool {
			for _, g := range gaps {
				from, _ := strconv.ParseInt(g.From, 10, 64)
				to, _ := strconv.ParseInt(g.To, 10, 64)
				if g.Kind == GapLost && ts > from && ts <= to {
					return true
				}
			}
			return false
		}
		lost := 0
		for _, e := range r.mock.LongPoll().Events() {
			switch {
			case e.Lost != inGap(e.TS):
				t.Errorf("event ts %d: lost %v, in a reported gap %v (gaps %+v)", e.TS, e.Lost, inGap(e.TS), gaps)
			case e.Lost && handled[e.EventID] != 0:
				t.Errorf("lost event %d was handled", e.TS)
			case !e.Lost && handled[e.EventID] != 1:
				t.Errorf("event %d handled %d times", e.TS, handled[e.EventID])
			}
			if e.Lost {
				lost++
			}
		}
		if len(gaps) != 3 || lost != 9 {
			t.Fatalf("gaps %+v, lost %d", gaps, lost)
		}
	})
}

// A ts the server no longer has: failed 1, continue from its ts, report.
func TestFailed1FromAStaleStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		for i := range 3 {
			r.inbox(t, 7, strconv.Itoa(i))
		}
		store := &MemoryStore{}
		_ = store.Save(context.Background(), vkmock.DefaultGroupID, Position{TS: "999"})
		var gaps []Gap
		c := newCollector(1)
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Store: store, OnGap: func(g Gap) { gaps = append(gaps, g) }})
		stop := start(t, p)
		synctest.Wait()
		r.inbox(t, 7, "after")
		<-c.signal
		stop()
		if len(gaps) != 1 || gaps[0] != (Gap{GroupID: vkmock.DefaultGroupID, Kind: GapOutdated, From: "999", To: "3"}) || c.texts[7][0] != "after" {
			t.Fatalf("gaps %+v texts %v", gaps, c.texts)
		}
		if pos, _ := store.Load(context.Background(), vkmock.DefaultGroupID); pos.TS != "4" {
			t.Fatalf("stored position %+v", pos)
		}
	})
}

// Network faults, 5xx, truncation, latency and unknown failures on
// a_check: every event handled once, in order. (A failed 1 loses events,
// as VK's does: TestForcedFailed1MovesOn.)
func TestRidesOutCheckFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		for _, f := range []vkmock.Fault{
			{HTTPStatus: 502, Probability: 0.1},
			{Effect: "reset", Probability: 0.1},
			{Effect: "truncate", Probability: 0.1},
			{Failed: 7, Probability: 0.05},
			{LatencyMS: 40000, Probability: 0.1}, // longer than the client's timeout (wait 5 s + margin 5 s)
		} {
			f.Method = "longpoll.bots"
			if _, err := r.mock.Faults().Add(f); err != nil {
				t.Fatal(err)
			}
		}
		const n = 200
		c := newCollector(n)
		var failures sync.Map
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Wait: 5 * time.Second, TimeoutMargin: 5 * time.Second,
			Observer: ObserverFuncs{Recovery: func(_ context.Context, e RecoveryEvent) { failures.Store(e.Failure, true) }}})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for i := range n {
			r.inbox(t, 7, strconv.Itoa(i))
			if i%10 == 0 {
				time.Sleep(3 * time.Second)
			}
		}
		<-c.signal
		stop()
		for i, s := range c.texts[7] {
			if s != strconv.Itoa(i) {
				t.Fatalf("event %d is %q", i, s)
			}
		}
		for id, k := range c.ids() {
			if k != 1 {
				t.Fatalf("%s handled %d times", id, k)
			}
		}
		for _, f := range []string{"http_status", "network", "failed_7"} {
			if _, ok := failures.Load(f); !ok {
				t.Errorf("no %s recovery", f)
			}
		}
	})
}

func TestServerErrorsEndOrCoolDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		if err := r.mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: false}); err != nil {
			t.Fatal(err)
		}
		err := New(r.api, Config{HTTPClient: r.hc}).Run(context.Background())
		var se *ServerError
		if !errors.As(err, &se) || !errors.Is(err, vkerr.Param) || se.GroupID != vkmock.DefaultGroupID {
			t.Fatalf("disabled: %v", err)
		}
		// 29 cools down (at least CooldownMin), then goes on.
		r = newRig(t)
		if _, err := r.mock.Faults().Add(vkmock.Fault{Method: "groups.getLongPollServer", Times: 1, Error: &vkerr.Error{Code: vkerr.RateLimit}}); err != nil {
			t.Fatal(err)
		}
		var delays []time.Duration
		c := newCollector(1)
		api := vkapi.New(r.mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL("http://vkmock.test"), vkapi.WithHTTPClient(r.hc),
			vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithRetry(vkapi.RetryPolicy{QuotaCooldown: 30 * time.Second}))
		p := New(api, Config{Handler: c, HTTPClient: r.hc, CooldownMin: time.Minute, Observer: ObserverFuncs{Recovery: func(_ context.Context, e RecoveryEvent) {
			if e.Failure == "cooldown" {
				delays = append(delays, e.Delay)
			}
		}}})
		begin := time.Now()
		stop := start(t, p)
		time.Sleep(2 * time.Minute) // past the cooldown
		synctest.Wait()
		r.inbox(t, 7, "x")
		<-c.signal
		stop()
		if len(delays) != 1 || delays[0] < time.Minute || time.Since(begin) < time.Minute {
			t.Fatalf("cooldowns %v after %v", delays, time.Since(begin))
		}
	})
}

func TestHandlerFailuresDoNotStopTheLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var got []string
		var failures []HandlerEvent
		done := make(chan struct{})
		h := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
			f, _ := e.MessageFields()
			got = append(got, f.Text)
			switch f.Text {
			case "panic":
				panic("boom")
			case "error":
				return errors.New("bad")
			case "end":
				close(done)
			}
			return nil
		})
		p := New(r.api, Config{Handler: h, HTTPClient: r.hc, OnError: func(e HandlerEvent) { failures = append(failures, e) }})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for _, s := range []string{"a", "panic", "error", "end"} {
			r.inbox(t, 7, s)
		}
		<-done
		stop()
		var hp *HandlerPanic
		if len(got) != 4 || len(failures) != 2 || !errors.As(failures[0].Err, &hp) || hp.Value != "boom" || failures[1].Err.Error() != "bad" {
			t.Fatalf("got %v failures %+v", got, failures)
		}
	})
}

func TestConcurrencyKeepsPeerOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		const peers, each = 5, 40
		c := newCollector(peers * each)
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Concurrency: 4})
		stop := start(t, p)
		synctest.Wait() // the poller holds an a_check
		for i := range each {
			for peer := range int64(peers) {
				r.inbox(t, 10+peer, strconv.Itoa(i))
			}
		}
		<-c.signal
		stop()
		for peer := range int64(peers) {
			got := c.texts[10+peer]
			for i, s := range got {
				if s != strconv.Itoa(i) {
					t.Fatalf("peer %d: %v", 10+peer, got)
				}
			}
			if len(got) != each {
				t.Fatalf("peer %d got %d", 10+peer, len(got))
			}
		}
	})
}

// Stop mid-stream, start again with the same file store: nothing lost,
// nothing handled twice.
func TestRestartWithFileStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		store := NewFileStore(filepath.Join(t.TempDir(), "bot.ts"))
		c := newCollector(10)
		stop := start(t, New(r.api, Config{Handler: c, HTTPClient: r.hc, Store: store}))
		synctest.Wait() // the poller holds an a_check
		for i := range 10 {
			r.inbox(t, 7, strconv.Itoa(i))
		}
		<-c.signal
		synctest.Wait() // the ts of the handled answers is saved
		stop()
		for i := 10; i < 25; i++ {
			r.inbox(t, 7, strconv.Itoa(i)) // while no poller runs
		}
		c2 := newCollector(15)
		stop = start(t, New(r.api, Config{Handler: c2, HTTPClient: r.hc, Store: store}))
		<-c2.signal
		stop()
		all := append(c.texts[7], c2.texts[7]...)
		for i, s := range all {
			if s != strconv.Itoa(i) {
				t.Fatalf("%v", all)
			}
		}
		if len(all) != 25 {
			t.Fatalf("%d events", len(all))
		}
	})
}

func TestDedupWindow(t *testing.T) {
	w := newWindow(2)
	if w.seen("a") || w.seen("b") {
		t.Fatal("new ids seen")
	}
	if !w.seen("a") || !w.seen("b") {
		t.Fatal("forgot too early")
	}
	if w.seen("c") || !w.seen("c") || len(w.ids) != 2 {
		t.Fatal("c not added")
	}
	if w.seen("a") { // a fell out when c came in (and is now back in, b out)
		t.Fatal("window not bounded")
	}
	if w.seen("b") || len(w.ids) != 2 {
		t.Fatalf("window %v", w.ids)
	}
	var n int
	p := New(nil, Config{Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { n++; return nil })})
	d := newDispatcher(context.Background(), context.Background(), p)
	d.deliver(context.Background(), []vkevent.Event{{EventID: "x"}, {EventID: "x"}, {EventID: "y"}, {}, {}})
	d.stop()
	if n != 4 {
		t.Fatalf("handled %d", n)
	}
}

func TestBackoffAndStore(t *testing.T) {
	b := Backoff{}.withDefaults()
	for n := 1; n < 100; n++ {
		if d := b.delay(n); d <= 0 || d > b.Max+1 {
			t.Fatalf("delay(%d) = %v", n, d)
		}
	}
}

// TestForcedFailed1MovesOn: the mock's forced failed 1 carries a newer ts
// as VK's does; the poller continues from it (no spin on the same ts) and
// handles the events that come after.
func TestForcedFailed1MovesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		if _, err := r.mock.Faults().Add(vkmock.Fault{Method: "longpoll.bots", Failed: 1, Times: 1}); err != nil {
			t.Fatal(err)
		}
		const n = 5
		c := newCollector(n)
		var failures sync.Map
		p := New(r.api, Config{Handler: c, HTTPClient: r.hc, Wait: 5 * time.Second, TimeoutMargin: 5 * time.Second,
			Observer: ObserverFuncs{Recovery: func(_ context.Context, e RecoveryEvent) { failures.Store(e.Failure, true) }}})
		stop := start(t, p)
		synctest.Wait() // failed 1 answered, the poller holds its next a_check
		for i := range n {
			r.inbox(t, 7, strconv.Itoa(i))
		}
		<-c.signal
		stop()
		for i, s := range c.texts[7] {
			if s != strconv.Itoa(i) {
				t.Fatalf("event %d is %q", i, s)
			}
		}
		if _, ok := failures.Load("failed_1"); !ok {
			t.Fatal("no failed_1 recovery")
		}
	})
}
