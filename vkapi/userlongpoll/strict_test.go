package userlongpoll

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// The proof of the delivery contract against the mock as strict as VK:
// history pages short enough that every recovery pages with more, a_check
// failures a tenth of the time, a poller killed and restarted from its
// file store.

// strictMock is the mock with its limits off and, with short, history
// pages of pageSize events and messages.
func strictMock(t *testing.T, pageSize int) *vkmock.Server {
	t.Helper()
	mock := vkmocktest.NewServer(t, vkmock.WithRequestLogSize(100_000)) // every history page counted
	mock.SetRateLimits(false)
	mock.UserLongPoll().SetConfig(vkmock.UserLongPollConfig{PageEvents: pageSize, PageMsgs: pageSize})
	return mock
}

func userAPI(mock *vkmock.Server) *vkapi.Client {
	return vkapi.New(mock.Tokens().Of(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser),
		vkapi.WithLimit(vkapi.Limit{Off: true}))
}

// TestStrictMockChaos: 1,000 messages (5,000 with VKERR_SOAK=1) from the
// world's users while a tenth of the a_check requests fail (forced failed
// 1 and 3, 5xx, resets, truncated bodies) and every recovery pages
// getLongPollHistory three events at a time: none lost, none doubled, in
// order per peer; in versions 3 and 19.
func TestStrictMockChaos(t *testing.T) {
	for _, v := range []int{3, 19} {
		t.Run("version "+strconv.Itoa(v), func(t *testing.T) { strictChaos(t, v) })
	}
}

func strictChaos(t *testing.T, version int) {
	n := soak.Pick(1000, 5000)
	mock := strictMock(t, 3)
	w := newWorld(t, mock)
	for _, f := range []vkmock.Fault{
		{Method: "longpoll.user", Failed: 1, Probability: 0.03},
		{Method: "longpoll.user", Failed: 3, Probability: 0.03},
		{Method: "longpoll.user", HTTPStatus: 502, Probability: 0.02},
		{Method: "longpoll.user", Effect: "reset", Probability: 0.01},
		{Method: "longpoll.user", Effect: "truncate", Probability: 0.01},
	} {
		if _, err := mock.Faults().Add(f); err != nil {
			t.Fatal(err)
		}
	}
	api := userAPI(mock)
	defer api.Close()
	rec := &recorder{count: map[int64]int{}, last: map[int64]int64{}, want: n, done: make(chan struct{}), tick: make(chan struct{}, 1)}
	resyncs := 0
	wantCode := CodeNewMessage
	if version == 19 {
		wantCode = CodeNewMessage19
	}
	var otherCodes int // updates not in the version's shape (Run's goroutine only)
	handler := HandlerFunc(func(ctx context.Context, u *Update) error {
		if u.Code != wantCode {
			otherCodes++
		}
		return rec.HandleUpdate(ctx, u)
	})
	p := New(api, Config{Handler: handler, Wait: time.Second, Start: start(t, api), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Version: version, OnResync: func(*ResyncError) { resyncs++ }})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
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
		t.Fatalf("only %d of %d updates handled", rec.total, n)
	}
	_ = p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	for _, id := range ids {
		if rec.count[id] != 1 {
			t.Errorf("message %d handled %d times", id, rec.count[id])
		}
	}
	if len(rec.order) > 0 || resyncs != 0 || rec.total != n || otherCodes != 0 {
		t.Errorf("out of order %v; resyncs %d; total %d; updates of another code than %d: %d", rec.order, resyncs, rec.total, wantCode, otherCodes)
	}
	var forced, fired int64
	for _, f := range mock.Faults().List() {
		fired += f.Fired
		if f.Failed == 1 || f.Failed == 3 {
			forced += f.Fired
		}
	}
	histories := len(mock.Requests().Of("messages.getLongPollHistory"))
	// Each recovery pages at least once more than it is forced to.
	if forced == 0 || int64(histories) <= forced {
		t.Errorf("%d recoveries forced, %d history pages: the pages never had more", forced, histories)
	}
	t.Logf("faults fired %d (failed 1 or 3: %d), history pages %d", fired, forced, histories)
}

// childEnv names the environment of TestStrictMockChild.
const childEnv = "USERLONGPOLL_CHILD"

// TestStrictMockChild is the poller of TestStrictMockKilled, run in a
// process of its own: it prints "id N" for each message it handles, and
// runs until it is killed (at most a minute). The handler of a message
// whose text is one of the stop texts waits, after printing it, for a
// line on stdin.
func TestStrictMockChild(t *testing.T) {
	args := strings.Split(os.Getenv(childEnv), "|")
	if len(args) != 6 {
		t.Skip("run by TestStrictMockKilled")
	}
	startTS, _ := strconv.ParseInt(args[3], 10, 64)
	startPTS, _ := strconv.ParseInt(args[4], 10, 64)
	stops := strings.Split(args[5], ",")
	api := vkapi.New(args[1], vkapi.WithBaseURL(args[0]), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}))
	defer api.Close()
	out, in := bufio.NewWriter(os.Stdout), bufio.NewReader(os.Stdin)
	p := New(api, Config{Wait: time.Second, Store: longpoll.NewFileStore(args[2]), Start: &Position{TS: startTS, PTS: startPTS},
		Handler: HandlerFunc(func(_ context.Context, u *Update) error {
			m, err := u.Message()
			if err != nil {
				return nil
			}
			_, _ = out.WriteString("id " + strconv.FormatInt(m.MessageID, 10) + "\n")
			if err := out.Flush(); err != nil {
				return err
			}
			if slices.Contains(stops, m.Text) {
				_, _ = in.ReadString('\n')
			}
			return nil
		})})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_ = p.Run(ctx)
}

// TestStrictMockKilled: a poller in a child process is killed with
// SIGKILL in the middle of an a_check answer of ten messages, in the
// handler of its fifth; 1,500 messages more come while nobody polls (more
// than 256 events: failed 1, and a history of eight pages at VK's
// msgs_limit of 200, which starts with that answer's messages); a new
// poller from the same file store handles every message, and repeats
// only the one in flight.
func TestStrictMockKilled(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	before, missed := soak.Pick(300, 3000), 1500
	mock := strictMock(t, 0)
	w := newWorld(t, mock)
	api := userAPI(mock)
	defer api.Close()
	path := filepath.Join(t.TempDir(), "user.pos")
	pos := start(t, api)

	var mu sync.Mutex
	seen := map[int64]int{}
	tick := make(chan struct{}, 1)
	note := func(id int64) {
		mu.Lock()
		seen[id]++
		mu.Unlock()
		select {
		case tick <- struct{}{}:
		default:
		}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	waitFor := func(ctx context.Context, k int) bool {
		for count() < k {
			select {
			case <-tick:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStrictMockChild$")
	cmd.Env = testrun.ChildEnv(childEnv + "=" + strings.Join([]string{mock.URL(), mock.Tokens().Of(vkmock.TokenUser).Token, path,
		strconv.FormatInt(pos.TS, 10), strconv.FormatInt(pos.PTS, 10), "m" + strconv.Itoa(before) + ",m" + strconv.Itoa(before+5)}, "|"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id "); ok {
				n, _ := strconv.ParseInt(id, 10, 64)
				note(n)
			}
		}
	}()
	i := 0
	for i < before {
		i++
		w.send(t, i)
		if i%10 == 0 && !waitFor(ctx, i) {
			t.Fatalf("the child handled %d of %d", count(), i)
		}
	}
	// The child waits in the handler of message `before`: ten more come,
	// all in its next answer; it is killed in the handler of the fifth.
	var inFlight int64
	for range 10 {
		i++
		if id := w.send(t, i); i == before+5 {
			inFlight = id
		}
	}
	if _, err := stdin.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	if !waitFor(ctx, before+5) {
		t.Fatalf("the child handled %d of %d", count(), before+5)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-read
	_ = cmd.Wait()
	inChild := count()
	for range missed {
		i++
		w.send(t, i)
	}
	p := New(api, Config{Wait: time.Second, Store: longpoll.NewFileStore(path), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Handler: HandlerFunc(func(_ context.Context, u *Update) error {
			if m, err := u.Message(); err == nil {
				note(m.MessageID)
			}
			return nil
		})})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	if !waitFor(ctx, i) {
		t.Fatalf("after the restart %d of %d handled", count(), i)
	}
	_ = p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var doubled []int64
	for id, c := range seen {
		if c > 2 {
			t.Errorf("message %d handled %d times", id, c)
		}
		if c > 1 {
			doubled = append(doubled, id)
		}
	}
	if len(seen) != i || len(doubled) > 1 || (len(doubled) == 1 && doubled[0] != inFlight) {
		t.Errorf("%d of %d messages handled; twice: %v (in flight at the kill: %d)", len(seen), i, doubled, inFlight)
	}
	t.Logf("the child handled %d before the kill; %d messages, %d repeated", inChild, i, len(doubled))
}
