// Command vkbench measures the vkapi client against an in-process vkmock
// with its strict rate limits on: delivered calls per second of users.get on
// one community token (budget 20 requests/s) at several concurrencies, with
// plain calls and with automatic execute batching (budget 25 × 20 = 500
// calls/s), counting every error 6 the mock answered. It prints a table and
// writes the CSV that internal/benchchart draws.
//
//	go run ./internal/vkbench -duration 10s -out docs/throughput.csv
//	go run ./internal/benchchart -in docs/throughput.csv -out docs/throughput.svg \
//		-budget '500=budget with execute (25 × 20 calls/s),20=budget of plain calls (20/s)'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// result is one measured point.
type result struct {
	mode        string
	concurrency int
	calls       int64 // calls completed without error
	failed      int64 // calls that returned an error
	requests    int   // HTTP requests the mock answered
	err6        int   // of which error 6
	elapsed     time.Duration
}

func (r result) perSecond() float64 { return float64(r.calls) / r.elapsed.Seconds() }

func main() {
	log.SetFlags(0)
	log.SetPrefix("vkbench: ")
	duration := flag.Duration("duration", 10*time.Second, "how long each point runs")
	levels := flag.String("concurrency", "1,10,25,50,100,200", "concurrent callers, comma-separated")
	modes := flag.String("modes", "plain,batching", "plain, batching, or both")
	out := flag.String("out", "", "write the CSV (series,concurrency,calls_per_sec) here")
	flag.Parse()

	var ns []int
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("bad concurrency %q", s)
		}
		ns = append(ns, n)
	}
	var results []result
	fmt.Printf("%-9s %6s %10s %8s %9s %7s %6s\n", "mode", "callers", "calls/s", "budget", "%budget", "errors", "err6")
	for _, mode := range strings.Split(*modes, ",") {
		mode = strings.TrimSpace(mode)
		for _, n := range ns {
			r, err := measure(mode, n, *duration)
			if err != nil {
				log.Fatal(err)
			}
			budget := 20.0
			if mode == "batching" {
				budget = 500
			}
			fmt.Printf("%-9s %6d %10.1f %8.0f %8.1f%% %7d %6d\n", mode, n, r.perSecond(), budget, 100*r.perSecond()/budget, r.failed, r.err6)
			results = append(results, r)
		}
	}
	if *out != "" {
		var b strings.Builder
		b.WriteString("series,concurrency,calls_per_sec\n")
		for _, r := range results {
			fmt.Fprintf(&b, "%s,%d,%.1f\n", r.mode, r.concurrency, r.perSecond())
		}
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// measure runs n callers of users.get for d against a fresh vkmock.
func measure(mode string, n int, d time.Duration) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := vkmock.New(vkmock.WithRequestLogSize(1 << 20))
	if err != nil {
		return result{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	go func() { _ = srv.Serve(ctx, ln, nil, time.Second) }()
	opts := []vkapi.Option{vkapi.WithBaseURL("http://" + ln.Addr().String()), vkapi.WithTokenKind(vkapi.KindGroup)}
	switch mode {
	case "plain":
	case "batching":
		opts = append(opts, vkapi.WithBatching(vkapi.BatchOptions{}))
	default:
		return result{}, fmt.Errorf("unknown mode %q", mode)
	}
	client := vkapi.New(srv.Tokens().Of(vkmock.TokenGroup).Token, opts...)

	r := result{mode: mode, concurrency: n}
	var calls, failed atomic.Int64
	runCtx, stop := context.WithTimeout(ctx, d)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := 0; runCtx.Err() == nil; j++ {
				var users []struct {
					ID int64 `json:"id"`
				}
				err := client.Call(runCtx, "users.get", vkapi.Params{"user_ids": 1 + (i*7919+j)%100000}, &users)
				switch {
				case err == nil:
					calls.Add(1)
				case runCtx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
				default:
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.calls, r.failed = calls.Load(), failed.Load()
	for _, rec := range srv.Requests().All() {
		r.requests++
		if rec.ErrorCode != nil && *rec.ErrorCode == vkerr.TooMany {
			r.err6++
		}
	}
	return r, nil
}
