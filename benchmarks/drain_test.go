package benchmarks

import (
	"context"
	"runtime/pprof"
	"testing"
	"time"
)

// drainEvents is how many queued events a drain hands to the handler.
const drainEvents = 20000

// drainRounds is how many times each client drains, the clients taking
// turns, so that a change of the shared machine's load falls on all of
// them alike.
const drainRounds = 3

// latencyEvents is how many events the latency measure writes to each
// client, one at a time, in latencyRounds turns.
const (
	latencyEvents = 2000
	latencyRounds = 10
)

// drainCase is one client of a drain. prepare starts a mock with
// drainEvents events queued and returns start, which starts the client
// (calling on(n) after handling n events) and returns its stop, and done,
// which stops the mock.
type drainCase struct {
	name    string
	prepare func(b *testing.B) (start func(on func(int)) (stop func()), done func())
}

// interleavedDrain drains drainRounds × drainEvents events through each
// case, in turns, and reports per case events/s and the allocations per
// event of the whole process (client and mock), and the first case's
// rate against each other's.
func interleavedDrain(b *testing.B, cases []drainCase) {
	for range b.N {
		took := make([]time.Duration, len(cases))
		allocs := make([]uint64, len(cases))
		bytes := make([]uint64, len(cases))
		for range drainRounds {
			for i, c := range cases {
				start, done := c.prepare(b)
				s := newSink(drainEvents)
				collectGarbage()
				before := sampleMem()
				t0 := time.Now()
				var stop func()
				// The client's goroutines carry its name as a profile label
				// (the mock's, started before, do not): with -cpuprofile,
				// `go tool pprof -tags` shows each client's own CPU time.
				pprof.Do(context.Background(), pprof.Labels("client", c.name), func(context.Context) { stop = start(s.hit) })
				s.wait(b)
				took[i] += time.Since(t0)
				after := sampleMem()
				allocs[i] += after.mallocs - before.mallocs
				bytes[i] += after.bytes - before.bytes
				stop()
				done()
			}
		}
		n := float64(drainEvents * drainRounds)
		for i, c := range cases {
			b.ReportMetric(n/took[i].Seconds(), c.name+"-events/s")
			b.ReportMetric(float64(allocs[i])/n, c.name+"-allocs/event")
			b.ReportMetric(float64(bytes[i])/n, c.name+"-B/event")
			if i > 0 {
				b.ReportMetric(took[i].Seconds()/took[0].Seconds(), cases[0].name+"/"+c.name+"-rate")
			}
		}
	}
}

// latencyCase is one client of the latency measure: setup starts a mock
// and the client (its handler sends its time to got) and returns write,
// which writes one event, and done, which stops both.
type latencyCase struct {
	name  string
	setup func(b *testing.B, got chan<- time.Time) (write func(i int), done func())
}

// interleavedLatency writes latencyEvents events to each case one at a
// time, each after the previous one reached the handler, the cases taking
// turns, and reports p50 and p99 of write → handler per case.
func interleavedLatency(b *testing.B, cases []latencyCase) {
	for range b.N {
		writes := make([]func(int), len(cases))
		gots := make([]chan time.Time, len(cases))
		for i, c := range cases {
			gots[i] = make(chan time.Time, 1)
			write, done := c.setup(b, gots[i])
			defer done()
			write(-1) // the client has polled once: warm
			<-gots[i]
			writes[i] = write
		}
		lat := make([][]time.Duration, len(cases))
		for round := range latencyRounds {
			for i := range cases {
				for k := range latencyEvents / latencyRounds {
					t0 := time.Now()
					writes[i](round*latencyEvents/latencyRounds + k)
					lat[i] = append(lat[i], (<-gots[i]).Sub(t0))
				}
			}
		}
		for i, c := range cases {
			reportLatency(b, c.name, lat[i])
		}
		if len(cases) > 1 {
			p99 := func(l []time.Duration) float64 { return float64(l[len(l)*99/100]) }
			b.ReportMetric(p99(lat[0])/p99(lat[len(lat)-1]), cases[0].name+"/"+cases[len(cases)-1].name+"-p99")
		}
	}
}
