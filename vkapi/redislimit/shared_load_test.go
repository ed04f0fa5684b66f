package redislimit

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

var redisDuration = flag.Duration("vkapi.redisdur", 0,
	"duration of the multi-process Redis limiter test (default 2s, 3s with VKERR_SOAK=1) and benchmark (default 10s), or $VKAPI_REDIS_DURATION")

// redisRunDuration is the load duration: the flag, else the environment,
// else def.
func redisRunDuration(def time.Duration) time.Duration {
	if *redisDuration > 0 {
		return *redisDuration
	}
	if d, err := time.ParseDuration(os.Getenv("VKAPI_REDIS_DURATION")); err == nil && d > 0 {
		return d
	}
	return def
}

// sharedRun is the outcome of a multi-process load run, seen from vkmock.
type sharedRun struct {
	procs    []helperResult
	ok       int           // calls answered within the run, at vkmock
	err6     int           // errors 6 vkmock answered
	perSec   float64       // ok per second
	util     float64       // perSec / budget
	tightest time.Duration // shortest span of 21 consecutive arrivals
	wasted   int64
	late     int64
	pushed   time.Duration
	start    time.Time
}

func (r sharedRun) String() string {
	var per []string
	for _, p := range r.procs {
		per = append(per, fmt.Sprintf("%d (%v..%v)", p.OK, p.First.Sub(r.start).Round(time.Millisecond), p.Last.Sub(r.start).Round(time.Millisecond)))
	}
	return fmt.Sprintf("%d processes: %.2f calls/s of 20 (%.1f%%), %d errors 6, per process %s, tightest 21 arrivals %v, %d slots wasted, %d late requests pushed the schedule by %v",
		len(r.procs), r.perSec, 100*r.util, r.err6, strings.Join(per, "+"), r.tightest.Round(time.Millisecond), r.wasted, r.late, r.pushed)
}

// ciMargin is the margin of the tests that count errors 6 on real time:
// enough for the jitter of a loaded 2-core machine under -race.
const ciMargin = 50 * time.Millisecond

// runSharedLoad runs procs helper processes with callers callers each for
// d against one vkmock server and Redis at addr.
// cfg may set Margin or NaiveBurst.
func runSharedLoad(t testing.TB, addr string, procs, callers int, d time.Duration, cfg helperConfig) sharedRun {
	t.Helper()
	s := vkmocktest.NewServer(t, vkmock.WithRequestLogSize(100000))
	start := time.Now().Add(1500 * time.Millisecond) // the helpers start up meanwhile
	cfg.BaseURL, cfg.Token, cfg.Redis, cfg.Prefix = s.URL(), s.Tokens().Of(vkmock.TokenGroup).Token, addr, testKeyPrefix(t)
	cfg.Callers, cfg.Start, cfg.Duration, cfg.Mode = callers, start, d, "load"
	if cfg.Latency != nil {
		if _, err := s.Faults().Add(vkmock.Fault{Method: "users.get", Latency: cfg.Latency}); err != nil {
			t.Fatal(err)
		}
	}
	reports := runHelpers(t, procs, cfg)
	run := sharedRun{procs: reports, start: start}
	var arrivals []time.Time
	for _, rec := range s.Requests().Of("users.get") {
		arrivals = append(arrivals, rec.Time)
		switch {
		case rec.ErrorCode != nil && *rec.ErrorCode == vkerr.TooMany:
			run.err6++
		case rec.ErrorCode == nil && rec.HTTPStatus == 200 && !rec.Time.Before(start) && rec.Time.Before(start.Add(d)):
			run.ok++
		}
	}
	for _, p := range reports {
		run.wasted += p.Wasted
		run.late += p.Late
		run.pushed += time.Duration(p.Pushed) * time.Millisecond
	}
	run.perSec = float64(run.ok) / d.Seconds()
	run.util = run.perSec / 20
	slices.SortFunc(arrivals, time.Time.Compare)
	run.tightest = time.Hour
	for i := 20; i < len(arrivals); i++ {
		run.tightest = min(run.tightest, arrivals[i].Sub(arrivals[i-20]))
	}
	return run
}

// TestRedisSharedLimitProcesses: three client processes with 20 callers
// each on one community token deliver at most the budget, with zero error
// 6, each on Redis. How close to the budget they come is a measure, of
// BenchmarkRedisSharedLimit (the same run; BENCHMARKS.md), and exact under
// a fake clock in TestScheduleFakeClock; a floor here failed 2 runs in 10
// on the loaded 2-core machine (late wake-ups under -race waste slots).
//
// The margin must cover the jitter between a slot and the request's
// arrival (see the package documentation). CI runs this beside other
// packages' -race tests on two cores, where that jitter passes the
// default's 15.6 ms (one run saw 21 arrivals in 998 ms: one error 6); the
// test takes 50 ms, what a user sets for a jittery network. The default's
// figures are BenchmarkRedisSharedLimit's.
func TestRedisSharedLimitProcesses(t *testing.T) {
	t.Parallel() // real time, mostly waiting: beside the others
	addr := redistest.Addr(t)
	d := redisRunDuration(soak.Pick(2*time.Second, 3*time.Second))
	run := runSharedLoad(t, addr, 3, 20, d, helperConfig{Margin: ciMargin})
	t.Log(run)
	if run.err6 != 0 {
		t.Errorf("%d errors 6", run.err6)
	}
	for _, p := range run.procs {
		if p.Failed != 0 || p.Err6 != 0 || p.Fallback != 0 || p.State != 0 || p.OK == 0 {
			t.Errorf("process %d: %d ok, %d failed (first: %s), %d errors 6, %d fallback requests, state %d",
				p.Index, p.OK, p.Failed, p.FirstErr, p.Err6, p.Fallback, p.State)
		}
	}
	if run.util > 1 {
		t.Errorf("%.1f%% of the budget", 100*run.util)
	}
}

// BenchmarkRedisSharedLimit is the 10 s figure of the shared limit: three
// client processes with 20 callers each on one community token through
// vkmock and Redis (VKERR_REDIS_ADDR or a private redis-server). It
// reports the calls per second delivered, their share of the budget (20/s),
// the errors 6, and the shortest span of 21 consecutive arrivals at the
// server (at least 1 s, or the strict window answers 6). Sub-benchmarks:
// the defaults, a margin of 50 ms (the old default), both with a latency
// fault of 50 ms ± 20 ms at vkmock (uniform: the requests reach the rate
// check 30 to 70 ms after they left), and for comparison plain redis_rate
// gates of 20 per second (burst 20, as redis_rate.PerSecond, and burst 1)
// in front of clients without the shared limiter.
func BenchmarkRedisSharedLimit(b *testing.B) {
	netLatency := &vkmock.Latency{Dist: "uniform", MinMS: 30, MaxMS: 70}
	addr := redistest.Addr(b)
	d := redisRunDuration(10 * time.Second)
	for _, bc := range []struct {
		name string
		cfg  helperConfig
	}{
		{"default", helperConfig{}},
		{"margin=50ms", helperConfig{Margin: 50 * time.Millisecond}},
		{"latency=50±20ms", helperConfig{Latency: netLatency}},
		{"latency=50±20ms,margin=50ms", helperConfig{Latency: netLatency, Margin: 50 * time.Millisecond}},
		{"naive-gcra-burst=20", helperConfig{NaiveBurst: 20}},
		{"naive-gcra-burst=1", helperConfig{NaiveBurst: 1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				run := runSharedLoad(b, addr, 3, 20, d, bc.cfg)
				b.Log(run)
				b.ReportMetric(run.perSec, "calls/s")
				b.ReportMetric(100*run.util, "%budget")
				b.ReportMetric(float64(run.err6), "err6")
				b.ReportMetric(float64(run.tightest.Milliseconds()), "tightest21-ms")
				b.ReportMetric(float64(run.wasted), "wasted-slots")
			}
		})
	}
}
