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

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

// A poller stopped between two events of one answer (here its handler
// cancels it after the fourth), then a new poller on the same store: the
// events whose handler returned are not delivered again, the others are,
// each once, in order per peer. With a position saved per answer the new
// poller re-read the whole answer from the stored ts and handled the
// first events twice.
func TestResumeMidAnswerSkipsHandledEvents(t *testing.T) {
	for _, store := range []string{"memory", "file"} {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprint(store, "/workers=", workers), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var s Store = &MemoryStore{}
					if store == "file" {
						s = NewFileStore(filepath.Join(t.TempDir(), "bot.ts"))
					}
					testResumeMidAnswer(t, s, workers)
				})
			})
		}
	}
}

func testResumeMidAnswer(t *testing.T, store Store, workers int) {
	r := newRig(t)
	const total, stopAfter = 12, 4
	peers := []int64{7, 8, 9}
	for i := range total {
		r.inbox(t, peers[i%len(peers)], strconv.Itoa(i)) // all in the first answer
	}
	if err := store.Save(context.Background(), vkmock.DefaultGroupID, Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}

	// The first poller: cancelled by the handler of its fourth event.
	ctx, cancel := context.WithCancel(context.Background())
	first := newCollector(-1)
	var mu sync.Mutex
	n := 0
	h := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		err := first.HandleEvent(ctx, e)
		mu.Lock()
		defer mu.Unlock()
		if n++; n == stopAfter {
			cancel()
		}
		return err
	})
	var answers []int
	obs := ObserverFuncs{Poll: func(_ context.Context, e PollEvent) { answers = append(answers, e.Events) }}
	p := New(r.api, Config{Handler: h, HTTPClient: r.hc, Store: store, Concurrency: workers, Observer: obs})
	if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first Run: %v", err)
	}
	if len(answers) != 1 || answers[0] != total {
		t.Fatalf("answers %v: the test needs the events in one answer", answers)
	}
	handled := len(first.ids())
	if handled < stopAfter || handled == total {
		t.Fatalf("the first poller handled %d of %d", handled, total)
	}
	pos, err := store.Load(context.Background(), vkmock.DefaultGroupID)
	if err != nil || pos.TS != "0" || len(pos.Handled) != handled {
		t.Fatalf("stored position %+v %v after %d handled", pos, err, handled)
	}

	// The second poller, on the same store.
	second := newCollector(total - handled)
	stop := start(t, New(r.api, Config{Handler: second, HTTPClient: r.hc, Store: store, Concurrency: workers}))
	<-second.signal
	synctest.Wait() // anything it would deliver more has arrived
	stop()

	seen := first.ids()
	for id, k := range second.ids() {
		seen[id] += k
	}
	for _, e := range r.mock.LongPoll().Events() {
		if seen[e.EventID] != 1 {
			t.Errorf("event ts %d handled %d times (%d by the first poller, %d by the second)", e.TS, seen[e.EventID], first.ids()[e.EventID], second.ids()[e.EventID])
		}
	}
	for _, peer := range peers {
		got := append(slices.Clone(first.texts[peer]), second.texts[peer]...)
		var want []string
		for i := range total {
			if peers[i%len(peers)] == peer {
				want = append(want, strconv.Itoa(i))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("peer %d: %v, want %v", peer, got, want)
		}
	}
	if pos, _ := store.Load(context.Background(), vkmock.DefaultGroupID); pos.TS != strconv.Itoa(total) || len(pos.Handled) != 0 {
		t.Errorf("final position %+v", pos)
	}
}
