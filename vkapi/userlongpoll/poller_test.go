package userlongpoll

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
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

// world is ten users who write to DefaultUserID with messages.send, so
// that the updates come from the mock's world as VK's would.
type world struct {
	senders []*vkapi.Client
	conns   httpClientCloser
}

func newWorld(t *testing.T, mock *vkmock.Server) *world {
	t.Helper()
	w := &world{}
	hc := w.conns.client()
	base := mock.Tokens().Of(vkmock.TokenUser)
	for i := range 10 {
		tok := base
		tok.Token, tok.UserID = "", int64(1001+i)
		tok, err := mock.Tokens().Create(tok)
		if err != nil {
			t.Fatal(err)
		}
		// The mock's limits are off, and so are the senders': ten user
		// tokens at 3 a second would take minutes.
		w.senders = append(w.senders, vkapi.New(tok.Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser),
			vkapi.WithLimit(vkapi.Limit{Off: true}), vkapi.WithHTTPClient(hc)))
	}
	t.Cleanup(w.close)
	return w
}

// close closes the senders and their connections.
func (w *world) close() {
	for _, c := range w.senders {
		_ = c.Close()
	}
	w.conns.close()
}

// send makes the i-th message (from sender i%10) and returns its id.
func (w *world) send(t *testing.T, i int) int64 {
	t.Helper()
	var id int64
	err := w.senders[i%len(w.senders)].Call(t.Context(), "messages.send", vkapi.Params{"peer_id": vkmock.DefaultUserID,
		"message": "m" + strconv.Itoa(i), "random_id": i + 1}, &id)
	if err != nil {
		t.Error(err)
	}
	return id
}

// TestChaos: 500 messages (5,000 with VKERR_SOAK=1) from ten users while the mock forces failed 1
// and 3 and fails a tenth of the a_check requests (5xx, resets, truncated
// bodies): none lost, none doubled, in order per peer.
func TestChaos(t *testing.T) {
	n := soak.Pick(500, 5000)
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	w := newWorld(t, mock)
	for _, f := range []vkmock.Fault{
		{Method: "longpoll.user", Failed: 1, Probability: 0.03},
		{Method: "longpoll.user", Failed: 3, Probability: 0.03},
		{Method: "longpoll.user", HTTPStatus: 500, Probability: 0.04},
		{Method: "longpoll.user", Effect: "reset", Probability: 0.03},
		{Method: "longpoll.user", Effect: "truncate", Probability: 0.03},
	} {
		if _, err := mock.Faults().Add(f); err != nil {
			t.Fatal(err)
		}
	}
	// Messages come one by one, so the a_check requests and their faults
	// are many, and so are the recoveries (two calls each): at a user
	// token's 3 calls a second they would take minutes. The mock's limits
	// are off, so the client's are too.
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser),
		vkapi.WithLimit(vkapi.Limit{Off: true}))
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
	ids := make([]int64, 0, n)
	for i := 1; i <= n; i++ {
		ids = append(ids, w.send(t, i))
		if i%10 == 0 && !rec.waitFor(ctx, i) {
			break
		}
	}
	select {
	case <-rec.done:
	case <-ctx.Done():
		rec.mu.Lock()
		var missing []int64
		for _, id := range ids {
			if rec.count[id] == 0 && len(missing) < 20 {
				missing = append(missing, id)
			}
		}
		rec.mu.Unlock()
		t.Fatalf("only %d of %d updates handled; missing %v", rec.total, n, missing)
	}
	_ = p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	if len(ids) != n {
		t.Fatalf("%d messages sent, want %d", len(ids), n)
	}
	for _, id := range ids {
		if rec.count[id] != 1 {
			t.Errorf("message %d handled %d times", id, rec.count[id])
		}
	}
	if len(rec.order) > 0 || resyncs != 0 || rec.total != n {
		t.Errorf("out of order %v; resyncs %d; total %d", rec.order, resyncs, rec.total)
	}
	fired := 0
	for _, f := range mock.Faults().List() {
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
	mock := vkmocktest.NewServer(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hc := &httpClientCloser{}
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithHTTPClient(hc.client()))
	defer api.Close()
	defer hc.close()
	rec := &recorder{count: map[int64]int{}, last: map[int64]int64{}, want: 1, done: make(chan struct{})}
	w := newWorld(t, mock)
	defer w.close() // before goleak looks
	p := New(api, Config{Handler: rec, Wait: time.Second, Version: 40, Start: start(t, api)})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	w.send(t, 1)
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
			_, _ = a.Updates[i].Read()
			_, _ = a.Updates[i].Flags()
			_ = a.Updates[i].key()
		}
		if a.TS < 0 {
			t.Fatal("negative ts")
		}
	})
}
