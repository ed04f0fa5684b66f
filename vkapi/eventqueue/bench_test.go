package eventqueue

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/vkevent"
)

// BenchmarkConsumerProcesses measures events handled per second by 1, 2
// and 4 consumer processes whose handler takes 5 ms, over 16 partitions
// and 1,000 peers: b.N events are appended at once, and the clock stops
// when the last one is handled. "serial" processes run one handler at a
// time (a process's capacity is one handler: the process is what scales);
// "parallel" ones run a handler per partition they hold. latency_p50/p99
// is from the append to the start of the handler, queueing included.
//
//	go test -run '^$' -bench 'ConsumerProcesses/serial' -benchtime 1000x ./vkapi/eventqueue
//	go test -run '^$' -bench 'ConsumerProcesses/parallel' -benchtime 4000x ./vkapi/eventqueue
func BenchmarkConsumerProcesses(b *testing.B) {
	for _, mode := range []string{"serial", "parallel"} {
		for _, procs := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/procs=%d", mode, procs), func(b *testing.B) {
				benchProcesses(b, procs, mode == "serial", 0)
			})
		}
	}
}

// BenchmarkLatency measures the time from the append to the start of the
// handler when the queue is not the bottleneck: two consumer processes
// with a 5 ms handler per partition, b.N events appended at 200 per second.
//
//	go test -run '^$' -bench 'Latency' -benchtime 1000x ./vkapi/eventqueue
func BenchmarkLatency(b *testing.B) {
	benchProcesses(b, 2, false, 5*time.Millisecond)
}

// benchProcesses runs procs consumer processes, appends b.N events (one
// each every pace, or all at once when pace is 0) and reports events/s
// and the latency percentiles.
func benchProcesses(b *testing.B, procs int, serial bool, pace time.Duration) {
	rdb, name := newRedis(b)
	ctx := b.Context()
	opts := Options{Name: name, Partitions: 16}
	recKey := "{vkq:" + name + "}:bench:handled"
	var children []*child
	for i := range procs {
		children = append(children, startChild(b, childConfig{Role: "consumer", ID: fmt.Sprint("c", i), Redis: rdb.Options().Addr, Queue: opts, Record: recKey,
			Delay: 5 * time.Millisecond, Serial: serial, LeaseTTL: 3 * time.Second}))
	}
	// Wait until the partitions are shared evenly.
	waitUntil(b, 60*time.Second, "the consumers to share the partitions", func(ctx context.Context) (bool, error) {
		for i := range procs {
			if heldBy(ctx, b, rdb, opts, DefaultGroup, fmt.Sprint("c", i)) != 16/procs {
				return false, nil
			}
		}
		return true, nil
	}, func() string { return "" })
	prod, err := NewProducer(rdb, opts, nil)
	if err != nil {
		b.Fatal(err)
	}
	redisCPU0 := redisCPU(b, rdb)
	appended := make([]time.Time, b.N)
	const peers, appenders = 1000, 8
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range appenders {
		wg.Go(func() {
			for i := g; i < b.N; i += appenders {
				if pace > 0 {
					if backoff.Sleep(ctx, time.Until(start.Add(time.Duration(i)*pace))) != nil {
						return
					}
				}
				appended[i] = time.Now()
				if err := prod.HandleEvent(ctx, messageNew(int64(4000000+i%peers), i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	recs := newRecords(rdb, recKey)
	waitUntil(b, 10*time.Minute, "every event to be handled", func(ctx context.Context) (bool, error) {
		if err := recs.poll(ctx); err != nil {
			return false, err
		}
		return len(recs.seen) >= b.N, nil
	}, func() string { return fmt.Sprint(len(recs.seen), " handled") })
	elapsed := time.Since(start)
	b.StopTimer()
	wg.Wait()
	redisCPU1 := redisCPU(b, rdb)
	var consumerCPU time.Duration // user and system, from the start of the children
	for _, c := range children {
		c.kill(b)
		consumerCPU += c.cmd.ProcessState.UserTime() + c.cmd.ProcessState.SystemTime()
	}
	var lat []time.Duration
	for _, h := range recs.all {
		var seq int
		if _, err := fmt.Sscan(h.text, &seq); err == nil && seq < b.N {
			lat = append(lat, h.at.Sub(appended[seq]))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "latency_p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "latency_p99_ms")
	b.ReportMetric(float64((redisCPU1-redisCPU0).Microseconds())/float64(b.N), "redis_cpu_us/event")
	b.ReportMetric(float64(consumerCPU.Microseconds())/float64(b.N), "consumers_cpu_us/event")
}

// redisCPU is the CPU time Redis has used (user and system).
func redisCPU(b *testing.B, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(b.Context(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// BenchmarkInProcess compares a handler called directly with the same
// handler behind the queue in one process (a producer and a consumer with
// a handler that does nothing): the cost the queue adds to each event.
//
//	go test -run '^$' -bench 'InProcess' -benchtime 5000x ./vkapi/eventqueue
func BenchmarkInProcess(b *testing.B) {
	var n int
	noop := vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { n++; return nil })
	b.Run("direct", func(b *testing.B) {
		e := messageNew(1, 1)
		ctx := context.Background()
		for b.Loop() {
			_ = noop.HandleEvent(ctx, e)
		}
	})
	b.Run("queue", func(b *testing.B) {
		rdb, name := newRedis(b)
		opts := Options{Name: name, Partitions: 16}
		r := newRecord(b.N)
		c, err := NewConsumer(rdb, Config{Options: opts, Handler: r, ReadBlock: 200 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		runConsumer(b, c)
		prod, _ := NewProducer(rdb, opts, nil)
		b.ResetTimer()
		for i := range b.N {
			if err := prod.HandleEvent(b.Context(), messageNew(int64(5000000+i%1000), i)); err != nil {
				b.Fatal(err)
			}
		}
		r.wait(b, 10*time.Minute)
	})
}
