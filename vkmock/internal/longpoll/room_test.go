package longpoll

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"go.uber.org/goleak"
)

const seeded = 200000001

func newRoom() *Room {
	return New(Deps{Clock: core.NewClock(nil), Seed: 1, Seeded: seeded, MaxGroupID: 1 << 40})
}

// message is a message_new object with text.
func message(text string) []byte {
	return []byte(`{"message":{"id":1,"from_id":7,"peer_id":7,"text":"` + text + `"},"client_info":{}}`)
}

func mustAnswer(t *testing.T, b []byte) *vkevent.Answer {
	t.Helper()
	a, err := vkevent.DecodeLongPoll(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return a
}

// The waiting semantics, on synctest's clock: a request holds until an
// event, the wait on the mock's clock, or its context; no goroutine
// outlives it.
func TestWaits(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRoom()
		key, _, _ := r.NewKey(seeded)
		server := strconv.FormatInt(seeded, 10)
		got := make(chan []byte, 1)
		start := time.Now()
		go func() { got <- r.Check(context.Background(), server, key, "0", 25, 0) }()
		synctest.Wait()
		if r.Waiting() != 1 {
			t.Fatal("the request is not holding")
		}
		time.Sleep(10 * time.Second)
		if _, err := r.Emit(seeded, vkevent.TypeMessageNew, message("x")); err != nil {
			t.Fatal(err)
		}
		b := <-got
		if a := mustAnswer(t, b); len(a.Events) != 1 || time.Since(start) != 10*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		// No event: the answer comes after the wait, with the same ts.
		start = time.Now()
		go func() { got <- r.Check(context.Background(), server, key, "1", 25, 0) }()
		b = <-got
		if a := mustAnswer(t, b); a.TS != "1" || len(a.Events) != 0 || time.Since(start) != 25*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		// The mock's clock moving ends the wait early.
		start = time.Now()
		go func() { got <- r.Check(context.Background(), server, key, "1", 90, 0) }()
		synctest.Wait()
		r.d.Clock.Advance(90 * time.Second)
		<-got
		if time.Since(start) != 0 {
			t.Fatalf("advance did not end the wait: %v", time.Since(start))
		}
		// A canceled request answers nothing and stops holding.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { got <- r.Check(ctx, server, key, "1", 90, 0) }()
		synctest.Wait()
		cancel()
		if b := <-got; b != nil || r.Waiting() != 0 {
			t.Fatalf("%s %d", b, r.Waiting())
		}
	})
}

func TestHistoryBytesBound(t *testing.T) {
	r := newRoom()
	r.SetConfig(Config{HistoryBytes: 4096})
	for range 200 {
		if _, err := r.Emit(seeded, vkevent.TypeMessageNew, message(strings.Repeat("x", 500))); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	g := r.groups[seeded]
	kept, bytes := len(g.hist)-g.head, g.histBytes
	r.mu.Unlock()
	if bytes > 4096 || kept < 1 || kept > 5 {
		t.Fatalf("kept %d events, %d bytes", kept, bytes)
	}
}

func TestCommunityAndTotalBounds(t *testing.T) {
	r := newRoom()
	r.SetConfig(Config{Communities: 3, TotalBytes: 8192}) // the seeded community holds one
	for _, g := range []int64{1, 2} {
		if err := r.SetSettings(Settings{GroupID: g, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetSettings(Settings{GroupID: 3, Enabled: true}); err == nil {
		t.Fatal("a third community accepted")
	}
	if _, err := r.Emit(3, vkevent.TypeMessageNew, message("x")); err == nil {
		t.Fatal("an event of a third community accepted")
	}
	if ls := r.Settings(3); ls.Enabled || ls.GroupID != 3 {
		t.Fatalf("reading settings made state: %+v", ls)
	}
	for i := range 100 {
		if _, err := r.Emit(int64(1+i%2), vkevent.TypeMessageNew, message(strings.Repeat("y", 300))); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	total, sum := r.bytes, 0
	for _, g := range r.groups {
		sum += g.histBytes
	}
	r.mu.Unlock()
	if total > 8192 || total != sum || total == 0 {
		t.Fatalf("total %d, sum of communities %d", total, sum)
	}
}
