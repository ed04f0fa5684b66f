package userlongpoll

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// 1,500 updates missed across three history pages with more: every one is
// handled once, in order, and the position ends at the server's ts and the
// history's last new_pts. The ts moves by far less than 1,500: counting
// entries against ts would drop most of them.
func TestRecoverPagesTheHistory(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeVK(1500, 500)
	defer f.Close()
	api, closeAPI := f.client()
	defer closeAPI()
	var mu sync.Mutex
	var got []int64
	var objects int
	all := make(chan struct{})
	store := &longpoll.MemoryStore{}
	p := New(api, Config{Store: store, Start: &Position{TS: fakeStartTS, PTS: f.startPTS},
		Handler: HandlerFunc(func(_ context.Context, u *Update) error {
			m, err := u.Message()
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m.MessageID)
			if u.Object != nil {
				objects++
			}
			if len(got) == 1500 {
				close(all)
			}
			return nil
		})})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	select {
	case <-all:
	case err := <-done:
		t.Fatalf("Run ended: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("update %d is message %d", i, id)
		}
	}
	if objects != 1500 || f.pages != 3 {
		t.Errorf("%d message objects, %d pages", objects, f.pages)
	}
	pos, _ := store.Load(context.Background(), 1)
	if pos.TS != "104" || pos.PTS != f.startPTS+1500 || len(pos.Handled) != 0 {
		t.Errorf("position %+v", pos)
	}
}

// A poller stopped in the middle of a recovery (a restart) resumes from
// its file store: the second poller handles the rest of the history, none
// of it twice, and nothing before it again.
func TestRecoverResumesFromTheStore(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeVK(600, 200)
	defer f.Close()
	api, closeAPI := f.client()
	defer closeAPI()
	store := longpoll.NewFileStore(filepath.Join(t.TempDir(), "user.pos"))
	seen := map[int64]int{}
	run := func(stopAt int) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p := New(api, Config{Store: store, Start: &Position{TS: fakeStartTS, PTS: f.startPTS},
			Handler: HandlerFunc(func(_ context.Context, u *Update) error {
				m, _ := u.Message()
				seen[m.MessageID]++
				if len(seen) == stopAt {
					cancel()
				}
				return nil
			})})
		if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
	}
	run(300) // stopped in the second page
	run(600) // resumed: the rest
	for id := int64(1); id <= 600; id++ {
		if seen[id] != 1 {
			t.Fatalf("message %d handled %d times", id, seen[id])
		}
	}
}

// A history answer of 907 is a gap reported with its range (ts and pts),
// and the poller goes on from the server's position.
func TestHistoryGapIsReported(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeVK(50, 500)
	f.historyErr = 907
	defer f.Close()
	api, closeAPI := f.client()
	defer closeAPI()
	store := &longpoll.MemoryStore{}
	gaps := make(chan *ResyncError, 1)
	p := New(api, Config{Store: store, Start: &Position{TS: fakeStartTS, PTS: f.startPTS}, OnResync: func(e *ResyncError) { gaps <- e }})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	g := <-gaps
	_ = p.Close()
	<-done
	if g.FromTS != fakeStartTS || g.FromPTS != f.startPTS || g.ToPTS != f.startPTS+50 || g.ToTS <= g.FromTS || !errors.Is(g, vkerr.MessagesTooOldPts) {
		t.Fatalf("gap %+v", g)
	}
	if pos, _ := store.Load(context.Background(), 1); pos.PTS != f.startPTS+50 || pos.TS != strconv.FormatInt(g.ToTS, 10) {
		t.Fatalf("position after the gap %+v", pos)
	}
}
