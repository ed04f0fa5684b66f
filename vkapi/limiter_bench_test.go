package vkapi

import (
	"slices"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// BenchmarkLimiterLatency is the cost of the window's rule on a network
// that is not loopback: 50 callers on one community token for 10 s (or
// -vkapi.limitdur) against vkmock's strict window, with no latency and with
// a latency fault of 50 ms ± 20 ms (uniform, phase "before": the request
// reaches the rate check that much later, as over a network). It reports
// the sustained share of the budget vkmock accepted (see sustained), the
// errors 6, and the shortest span of 21 consecutive accepted requests
// (their arrival, before the latency).
//
// The window gives a slot back one window after the answer came back: VK
// counts a request when it arrives, somewhere between its sending and its
// answer, and nothing but the answer bounds that moment from above. Each
// slot so costs one round trip per window.
func BenchmarkLimiterLatency(b *testing.B) {
	for _, tc := range []struct {
		name    string
		latency *vkmock.Latency
	}{
		{"latency=0", nil},
		{"latency=50±20ms", &vkmock.Latency{Dist: "uniform", MinMS: 30, MaxMS: 70}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := limiterBenchDuration()
			for b.Loop() {
				s := vkmocktest.NewServer(b, vkmock.WithRequestLogSize(100000))
				if tc.latency != nil {
					if _, err := s.Faults().Add(vkmock.Fault{Method: "users.get", Latency: tc.latency}); err != nil {
						b.Fatal(err)
					}
				}
				c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup))
				res := runLoad(c, 50, d, "users.get", Params{"user_ids": 1})
				var err6 int
				var accepted []time.Time
				for _, r := range s.Requests().Of("users.get") {
					switch {
					case r.ErrorCode != nil && *r.ErrorCode == vkerr.TooMany:
						err6++
					case r.ErrorCode == nil && r.HTTPStatus == 200:
						accepted = append(accepted, r.Time)
					}
				}
				slices.SortFunc(accepted, time.Time.Compare)
				tightest := time.Hour
				for i := 20; i < len(accepted); i++ {
					tightest = min(tightest, accepted[i].Sub(accepted[i-20]))
				}
				util := sustained(accepted, 20)
				b.Logf("%s: %d accepted in %v, sustained %.1f%% of 20/s, %d errors 6, %d failed calls, tightest 21 accepted %v",
					tc.name, len(accepted), d, 100*util, err6, res.Other, tightest.Round(time.Millisecond))
				b.ReportMetric(100*util, "%budget")
				b.ReportMetric(float64(err6), "err6")
				b.ReportMetric(float64(tightest.Milliseconds()), "tightest21-ms")
			}
		})
	}
}

// sustained returns the rate of the sorted times as a share of n per
// second, over whole windows: the first n of them (a burst the budget
// allows at the start) open the span, and every later one counts. Whether
// requests come evenly or in bursts of n per cycle, it is the budget's
// share a long run would get, which a count within a fixed span is not (a
// burst just inside or outside it moves that by n).
func sustained(times []time.Time, n int) float64 {
	if len(times) <= n {
		return 0
	}
	span := times[len(times)-1].Sub(times[n-1])
	return float64(len(times)-n) / span.Seconds() / float64(n)
}
