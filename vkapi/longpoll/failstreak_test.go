package longpoll

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkapi"
)

// lpFake is a server of the test's own: groups.getLongPollServer gives a
// key and ts 5, and every a_check is answered by answer.
type lpFake struct {
	answer  func(n int64) string
	checks  atomic.Int64
	servers atomic.Int64
}

func (f *lpFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/method/groups.getLongPollServer"):
		f.servers.Add(1)
		w.Write([]byte(`{"response":{"key":"k","server":"http://lp.test/lp","ts":"5"}}`))
	case r.URL.Path == "/lp":
		w.Write([]byte(f.answer(f.checks.Add(1))))
	default:
		http.NotFound(w, r)
	}
}

// warnCounter counts the Warn records.
type warnCounter struct {
	mu    sync.Mutex
	warns []string
}

func (h *warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		h.mu.Lock()
		h.warns = append(h.warns, r.Message)
		h.mu.Unlock()
	}
	return nil
}
func (h *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *warnCounter) WithGroup(string) slog.Handler      { return h }

// runFake polls f for d of fake time and returns the a_check count and the
// Warn records.
func runFake(t *testing.T, f *lpFake, d time.Duration) (int64, []string) {
	var checks int64
	var warns []string
	synctest.Test(t, func(t *testing.T) {
		hc := &http.Client{Transport: memTransport{f}}
		api := vkapi.New("token", vkapi.WithBaseURL("http://api.test"), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindGroup))
		defer api.Close()
		logs := &warnCounter{}
		p := New(api, Config{GroupID: 1, HTTPClient: hc, Logger: slog.New(logs)})
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		_ = p.Run(ctx)
		checks, warns = f.checks.Load(), logs.warns
	})
	return checks, warns
}

// A server answering {"failed":1} with no ts, or with the ts asked, for
// 10 s: the poller backs off (under 2 requests a second after the first
// few), with one Warn for the whole streak.
func TestFailed1WithoutNewTSBacksOff(t *testing.T) {
	for name, answer := range map[string]func(int64) string{
		"no ts":   func(int64) string { return `{"failed":1}` },
		"same ts": func(int64) string { return `{"failed":1,"ts":5}` },
		"bad ts":  func(int64) string { return `{"failed":1,"ts":"abc"}` },
	} {
		t.Run(name, func(t *testing.T) {
			checks, warns := runFake(t, &lpFake{answer: answer}, 10*time.Second)
			t.Logf("%d a_check requests in 10 s, %d Warn", checks, len(warns))
			if checks > 5+2*10 {
				t.Errorf("%d a_check requests in 10 s", checks)
			}
			if len(warns) != 1 {
				t.Errorf("%d Warn records: %q", len(warns), warns)
			}
		})
	}
}

// failed 2 and 3 answered to every key: new keys, but not in a tight loop.
func TestFailed2And3InARowBackOff(t *testing.T) {
	for name, answer := range map[string]func(int64) string{
		"failed 2": func(int64) string { return `{"failed":2}` },
		"failed 3": func(int64) string { return `{"failed":3}` },
	} {
		t.Run(name, func(t *testing.T) {
			f := &lpFake{answer: answer}
			checks, warns := runFake(t, f, 10*time.Second)
			if checks > 5+2*10 || f.servers.Load() > 5+2*10 {
				t.Errorf("%d a_check requests, %d getLongPollServer in 10 s", checks, f.servers.Load())
			}
			if checks < 3 {
				t.Errorf("only %d a_check requests", checks)
			}
			if len(warns) > 2 { // the streak, and for failed 3 its first gap
				t.Errorf("%d Warn records: %q", len(warns), warns)
			}
		})
	}
}

// An a_check answer whose ts is not a number is a bad answer: never saved.
func TestNonNumericTSIsNeverSaved(t *testing.T) {
	store := &MemoryStore{}
	synctest.Test(t, func(t *testing.T) {
		f := &lpFake{answer: func(int64) string { return `{"ts":"abc","updates":[]}` }}
		hc := &http.Client{Transport: memTransport{f}}
		api := vkapi.New("token", vkapi.WithBaseURL("http://api.test"), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindGroup))
		defer api.Close()
		p := New(api, Config{GroupID: 1, HTTPClient: hc, Store: store})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Run(ctx)
		if f.checks.Load() > 20 {
			t.Errorf("%d a_check requests in 5 s", f.checks.Load())
		}
	})
	pos, err := store.Load(context.Background(), 1)
	if err != nil || pos.TS != "5" {
		t.Fatalf("saved %+v, %v", pos, err)
	}
}

// An a_check that never answers is abandoned at wait + margin, backed off,
// and after three in a row the poller asks for a new key.
func TestStalledCheckRenewsTheKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &lpFake{}
		stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/lp" {
				f.checks.Add(1)
				<-r.Context().Done() // no answer, ever
				return
			}
			f.ServeHTTP(w, r)
		})
		hc := &http.Client{Transport: memTransport{stall}}
		api := vkapi.New("token", vkapi.WithBaseURL("http://api.test"), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindGroup))
		defer api.Close()
		p := New(api, Config{GroupID: 1, HTTPClient: hc, Wait: 5 * time.Second, TimeoutMargin: 5 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = p.Run(ctx)
		// 10 s per a_check plus backoffs doubling from at most 0.5 s: at
		// least six in 2 minutes, at most 12, and a new key after every
		// third (the last one may not have been asked for when time ran out).
		checks, servers := f.checks.Load(), f.servers.Load()
		if checks < 6 || checks > 12 || servers < checks/3 || servers > 1+checks/3 {
			t.Fatalf("%d a_check requests, %d getLongPollServer", checks, servers)
		}
	})
}
