package benchmarks

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sink is the do-nothing handler's side: it counts events and closes done
// at the want-th one.
type sink struct {
	n    atomic.Int64
	want int64
	once sync.Once
	done chan struct{}
}

func newSink(want int) *sink { return &sink{want: int64(want), done: make(chan struct{})} }

// hit counts k events.
func (s *sink) hit(k int) {
	if s.n.Add(int64(k)) >= s.want {
		s.once.Do(func() { close(s.done) })
	}
}

// wait waits for the want-th event; a client that stopped early fails the
// benchmark instead of hanging it.
func (s *sink) wait(b *testing.B) {
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d events after 2 minutes", s.n.Load(), s.want)
	}
}

// memSample is the process's allocation counters at one moment.
type memSample struct{ mallocs, bytes uint64 }

func sampleMem() memSample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{m.Mallocs, m.TotalAlloc}
}

// reportPerEvent reports events/s over d, and the allocations per event of
// the whole process (client and mock) since before.
func reportPerEvent(b *testing.B, events int, d time.Duration, before memSample) {
	after := sampleMem()
	b.ReportMetric(float64(events)/d.Seconds(), "events/s")
	b.ReportMetric(float64(after.mallocs-before.mallocs)/float64(events), "allocs/event")
	b.ReportMetric(float64(after.bytes-before.bytes)/float64(events), "B/event")
}

// reportLatency sorts lat and reports its p50 and p99 in microseconds.
func reportLatency(b *testing.B, name string, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, name+"-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, name+"-p99-µs")
}

// collectGarbage collects garbage before a measure, so that one client does
// not pay for the previous one's.
func collectGarbage() { runtime.GC() }
