package redislimit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// The proof of the shared limit: client processes (the test binary run
// again as TestRedisHelperProcess), each with its own vkapi client and
// Redis limiter, on one community token, against one vkmock server run by
// the parent test.

const (
	helperEnv    = "VKAPI_REDIS_HELPER"
	helperReport = "VKAPI-REDIS-HELPER-REPORT "
)

// helperConfig is what a helper process is told, in $VKAPI_REDIS_HELPER.
type helperConfig struct {
	Index    int           `json:"index"`
	BaseURL  string        `json:"base_url"`
	Token    string        `json:"token"`
	Redis    string        `json:"redis"`
	Prefix   string        `json:"prefix"`
	Callers  int           `json:"callers"`
	Start    time.Time     `json:"start"`    // when to start calling
	Duration time.Duration `json:"duration"` // how long to start new calls
	// Mode is "load" (users.get as fast as the client lets, calls cut off
	// at the end) or "once" (messages.send to peers of its own, each call
	// started before the end completes).
	Mode      string        `json:"mode"`
	Probe     time.Duration `json:"probe"`
	Margin    time.Duration `json:"margin"`
	Tolerance time.Duration `json:"tolerance"`
	// Latency, when set, is a latency fault of users.get at vkmock (set by
	// the parent).
	Latency *vkmock.Latency `json:"latency,omitempty"`
	// NaiveBurst, when positive, replaces the Limiter by a plain
	// redis_rate gate of 20 per second with that burst, for comparison: a
	// call goes as soon as Allow says yes, and is not retried.
	NaiveBurst int `json:"naive_burst"`
}

// helperResult is what a helper process reports, on a line of stdout.
type helperResult struct {
	Index    int      `json:"index"`
	OK       int      `json:"ok"`
	Failed   int      `json:"failed"`
	FirstErr string   `json:"first_err"`
	Err6     int      `json:"err6"`  // responses with error 6 the client saw
	Peers    []int64  `json:"peers"` // once: peers whose message went out
	Logs     []string `json:"logs"`  // the client's log records
	Grants   int64    `json:"grants"`
	Wasted   int64    `json:"wasted"`
	Fallback int64    `json:"fallback"`
	Late     int64    `json:"late"`
	Pushed   int64    `json:"pushed_ms"`
	// GrantsAtBack is the grants count when the client logged that Redis
	// answers again (-1: it did not).
	GrantsAtBack int64  `json:"grants_at_back"`
	State        uint64 `json:"state"`
	// First and Last are when the first and the last call completed.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// logTap is a slog handler that calls onBack when the client logs that
// Redis is back.
type logTap struct {
	slog.Handler
	onBack func()
}

func (h logTap) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, logBack) && h.onBack != nil {
		h.onBack()
	}
	return h.Handler.Handle(ctx, r)
}

// TestRedisHelperProcess is a client process of the multi-process tests;
// it does nothing unless run by them.
func TestRedisHelperProcess(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		t.Skip("a helper process of the Redis limiter tests")
	}
	var cfg helperConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	res := runHelper(t, cfg)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\n%s%s\n", helperReport, b)
}

func runHelper(t *testing.T, cfg helperConfig) helperResult {
	res := helperResult{Index: cfg.Index, GrantsAtBack: -1}
	var logs syncbuf.Buffer
	var sh *Limiter
	var atBack atomic.Int64
	atBack.Store(-1)
	log := slog.New(logTap{
		Handler: slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}),
		onBack: func() {
			if sh != nil {
				atBack.Store(sh.Stats().Grants)
			}
		},
	})
	var err6 atomic.Int64
	obs := vkapi.ObserverFuncs{Response: func(_ context.Context, e vkapi.ResponseEvent) {
		if e.Code == vkerr.TooMany {
			err6.Add(1)
		}
	}}
	opts := []Option{KeyPrefix(cfg.Prefix)}
	if cfg.Probe > 0 {
		opts = append(opts, ProbeInterval(cfg.Probe))
	}
	if cfg.Margin > 0 {
		opts = append(opts, Margin(cfg.Margin))
	}
	if cfg.Tolerance > 0 {
		opts = append(opts, Tolerance(cfg.Tolerance))
	}
	rdb := testRedisClient(t, cfg.Redis)
	var c *vkapi.Client
	naive := func(context.Context) error { return nil }
	if cfg.NaiveBurst > 0 {
		c = vkapi.New(cfg.Token, vkapi.WithBaseURL(cfg.BaseURL), vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithObserver(obs),
			vkapi.WithRetry(vkapi.RetryPolicy{MaxAttempts: 1}))
		lim := redis_rate.NewLimiter(rdb)
		limit := redis_rate.Limit{Rate: 20, Burst: cfg.NaiveBurst, Period: time.Second}
		naive = func(ctx context.Context) error {
			for {
				res, err := lim.Allow(ctx, cfg.Prefix+"naive", limit)
				if err != nil {
					return err
				}
				if res.Allowed > 0 {
					return nil
				}
				if err := backoff.Sleep(ctx, res.RetryAfter); err != nil {
					return err
				}
			}
		}
	} else {
		sh = testLimiter(t, rdb, opts...)
		c = vkapi.New(cfg.Token, vkapi.WithBaseURL(cfg.BaseURL), vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithLogger(log), vkapi.WithObserver(obs),
			vkapi.WithSharedLimiter(sh))
	}
	time.Sleep(time.Until(cfg.Start))
	end := cfg.Start.Add(cfg.Duration)

	var mu sync.Mutex
	var seq atomic.Int64
	var wg sync.WaitGroup
	for range cfg.Callers {
		wg.Go(func() {
			for time.Now().Before(end) {
				var err error
				var peer int64
				switch cfg.Mode {
				case "load":
					ctx, cancel := context.WithDeadline(context.Background(), end)
					if err = naive(ctx); err == nil {
						err = c.Call(ctx, "users.get", vkapi.Params{"user_ids": 1}, nil)
					}
					cancel()
					if err != nil && errors.Is(err, context.DeadlineExceeded) {
						return // cut off at the end
					}
				case "once":
					peer = 2_000_000_000 + int64(cfg.Index)*1_000_000 + seq.Add(1)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					var id int64
					err = c.Call(ctx, "messages.send", vkapi.Params{"peer_id": peer, "message": "hello"}, &id)
					cancel()
				default:
					err = fmt.Errorf("unknown mode %q", cfg.Mode)
				}
				mu.Lock()
				if err != nil {
					res.Failed++
					if res.FirstErr == "" {
						res.FirstErr = err.Error()
					}
				} else {
					res.OK++
					if res.First.IsZero() {
						res.First = time.Now()
					}
					res.Last = time.Now()
					if peer != 0 {
						res.Peers = append(res.Peers, peer)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Err6 = int(err6.Load())
	if sh != nil {
		st := sh.Stats()
		res.Grants, res.Wasted, res.Fallback = st.Grants, st.Wasted, st.Fallback
		res.Late, res.Pushed = st.Late, st.Pushed.Milliseconds()
		res.GrantsAtBack = atBack.Load()
		res.State = sh.state.Load()
	}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if l != "" {
			res.Logs = append(res.Logs, l)
		}
	}
	return res
}

// runHelpers runs n helper processes with cfg (Index set for each) and
// returns their reports.
func runHelpers(t testing.TB, n int, cfg helperConfig) []helperResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Until(cfg.Start)+cfg.Duration+2*time.Minute)
	defer cancel()
	type proc struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	procs := make([]*proc, n)
	for i := range procs {
		c := cfg
		c.Index = i
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		p := &proc{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRedisHelperProcess$", "-test.count=1")}
		p.cmd.Env = testrun.ChildEnv(helperEnv + "=" + string(b))
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = p
	}
	var results []helperResult
	for i, p := range procs {
		err := p.cmd.Wait()
		var r *helperResult
		sc := bufio.NewScanner(bytes.NewReader(p.out.Bytes()))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), helperReport); ok {
				r = &helperResult{}
				if jerr := json.Unmarshal([]byte(line), r); jerr != nil {
					t.Fatalf("helper %d: report: %v", i, jerr)
				}
			}
		}
		if err != nil || r == nil {
			t.Fatalf("helper %d: %v\n%s", i, err, p.out.String())
		}
		results = append(results, *r)
	}
	return results
}
