package userlongpoll

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

type recorder struct {
	mu    sync.Mutex
	count map[int64]int
	last  map[int64]int64 // per peer, the last message id
	order []string
	total int
	want  int
	done  chan struct{}
	tick  chan struct{} // 1-buffered: an update was handled
}

// waitFor waits until n updates were handled.
func (r *recorder) waitFor(ctx context.Context, n int) bool {
	for {
		r.mu.Lock()
		total := r.total
		r.mu.Unlock()
		if total >= n {
			return true
		}
		select {
		case <-r.tick:
		case <-ctx.Done():
			return false
		}
	}
}

func (r *recorder) HandleUpdate(_ context.Context, u *Update) error {
	m, err := u.Message()
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count[m.MessageID]++
	if m.MessageID <= r.last[m.PeerID] {
		r.order = append(r.order, strconv.FormatInt(m.MessageID, 10)+" after "+strconv.FormatInt(r.last[m.PeerID], 10))
	}
	r.last[m.PeerID] = m.MessageID
	r.total++
	if r.tick != nil {
		select {
		case r.tick <- struct{}{}:
		default:
		}
	}
	if r.total == r.want {
		close(r.done)
	}
	return nil
}

// start is the stream's current position, as the test's own
// messages.getLongPollServer sees it: the poller starts there, so the
// updates injected next are all after it.
func start(t *testing.T, api *vkapi.Client) *Position {
	t.Helper()
	var r struct {
		TS  int64 `json:"ts"`
		PTS int64 `json:"pts"`
	}
	if err := api.Call(t.Context(), "messages.getLongPollServer", vkapi.Params{"lp_version": 3, "need_pts": 1}, &r); err != nil {
		t.Fatal(err)
	}
	return &Position{TS: r.TS, PTS: r.PTS}
}

func inject(t *testing.T, mock *vkmock.Server, id int64) {
	t.Helper()
	peer := 1 + id%10
	up := []json.RawMessage{json.RawMessage("4"), json.RawMessage(strconv.FormatInt(id, 10)), json.RawMessage("1"),
		json.RawMessage(strconv.FormatInt(peer, 10)), json.RawMessage("1700000000"), json.RawMessage(`"m` + strconv.FormatInt(id, 10) + `"`)}
	if err := mock.InjectUserUpdate(vkmock.UserUpdate{UserID: vkmock.DefaultUserID, Update: up}); err != nil {
		t.Error(err)
	}
}

// TestChaos: 5,000 updates while the mock forces failed 1 and 3 and fails
// a tenth of the a_check requests (5xx, resets, truncated bodies): none
// lost, none doubled, in order per peer.
func TestChaos(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	mock := vkmock.NewServer(t)
	mock.SetRateLimits(false)
	for _, f := range []vkmock.Fault{
		{Method: "longpoll.user", Failed: 1, Probability: 0.03},
		{Method: "longpoll.user", Failed: 3, Probability: 0.03},
		{Method: "longpoll.user", HTTPStatus: 500, Probability: 0.04},
		{Method: "longpoll.user", Effect: "reset", Probability: 0.03},
		{Method: "longpoll.user", Effect: "truncate", Probability: 0.03},
	} {
		if _, err := mock.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	api := vkapi.New(mock.Token(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser))
	defer api.Close()
	rec := &recorder{count: map[int64]int{}, last: map[int64]int64{}, want: n, done: make(chan struct{}), tick: make(chan struct{}, 1)}
	resyncs := 0
	p := New(api, Config{Handler: rec, Wait: time.Second, Start: start(t, api), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		OnResync: func(*ResyncError) { resyncs++ }})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	// Updates in small bursts, each waited for, so that the a_check
	// requests (and their faults) are many.
	for i := 1; i <= n; i++ {
		inject(t, mock, int64(i))
		if i%10 == 0 && !rec.waitFor(ctx, i) {
			break
		}
	}
	select {
	case <-rec.done:
	case <-ctx.Done():
		rec.mu.Lock()
		var missing []int64
		for i := int64(1); i <= int64(n) && len(missing) < 20; i++ {
			if rec.count[i] == 0 {
				missing = append(missing, i)
			}
		}
		rec.mu.Unlock()
		t.Fatalf("only %d of %d updates handled; missing %v", rec.total, n, missing)
	}
	_ = p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	for i := int64(1); i <= int64(n); i++ {
		if rec.count[i] != 1 {
			t.Errorf("update %d handled %d times", i, rec.count[i])
		}
	}
	if len(rec.order) > 0 || resyncs != 0 || rec.total != n {
		t.Errorf("out of order %v; resyncs %d; total %d", rec.order, resyncs, rec.total)
	}
	fired := 0
	for _, f := range mock.Faults() {
		fired += int(f.Fired)
	}
	if fired == 0 {
		t.Error("no fault fired")
	}
	t.Logf("faults fired %d", fired)
}

// failed 4: the client switches to a version the server supports; Close
// ends everything.
func TestVersionAndClose(t *testing.T) {
	mock := vkmock.NewServer(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hc := &httpClientCloser{}
	api := vkapi.New(mock.Token(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithHTTPClient(hc.client()))
	defer api.Close()
	defer hc.close()
	rec := &recorder{count: map[int64]int{}, last: map[int64]int64{}, want: 1, done: make(chan struct{})}
	p := New(api, Config{Handler: rec, Wait: time.Second, Version: 40, Start: start(t, api)})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	inject(t, mock, 1)
	<-rec.done
	_ = p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	if p.cfg.Version != vkmock.MaxUserLongPollVersion {
		t.Fatalf("version %d", p.cfg.Version)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"ts":1820350345,"updates":[[4,2,1,7,1,"hi",{},{}],[8,-7,4]]}`, `{"failed":4,"min_version":0,"max_version":19}`,
		`{"failed":1,"ts":5}`, `{"ts":"5","updates":[1,[],[null]],"pts":3}` + "\r\n", `[]`, `{}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Decode(b)
		if err != nil {
			return
		}
		for i := range a.Updates {
			_, _ = a.Updates[i].Message()
		}
		if a.TS < 0 {
			t.Fatal("negative ts")
		}
	})
}
