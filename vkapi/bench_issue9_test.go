package vkapi

import (
	"context"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// BenchmarkTooMany20InARow measures the time to success of one call that
// meets 20 errors 6 in a row (a vkmock fault rule, times 20) on a community
// token, with every default of the client: the limiter pauses the token for
// one window (1 s) after each error 6, so about 20 s is what the window
// allows. Run it with -benchtime=1x.
func BenchmarkTooMany20InARow(b *testing.B) {
	for b.Loop() {
		s := vkmocktest.NewServer(b)
		if _, err := s.Faults().Add(vkmock.Fault{Method: "users.get", Times: 20, Error: &vkerr.Error{Code: vkerr.TooMany}}); err != nil {
			b.Fatal(err)
		}
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup))
		start := time.Now()
		err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
		d := time.Since(start)
		c.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(d.Seconds(), "s-to-success")
		b.ReportMetric(float64(len(s.Requests().Of("users.get"))), "requests")
	}
}

// BenchmarkLimiterUtilisationDetected is BenchmarkLimiterUtilisation/group
// as a newcomer writes it: vkapi.New(groupToken, vkapi.WithBaseURL(mock))
// and no other option, so the token's kind is detected. 50 callers, 10 s
// unless -vkapi.limitdur or VKAPI_LIMIT_DURATION says otherwise.
func BenchmarkLimiterUtilisationDetected(b *testing.B) {
	d := limiterBenchDuration()
	for b.Loop() {
		s := vkmocktest.NewServer(b)
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()))
		res := runLoad(c, 50, d, "users.get", Params{"user_ids": 1})
		c.Close()
		err6 := countCode(s.Requests().All(), vkerr.TooMany)
		b.ReportMetric(100*float64(res.OK)/(20*d.Seconds()), "%budget")
		b.ReportMetric(float64(err6+res.TooMany), "err6")
		b.ReportMetric(float64(res.OK), "calls")
		if res.Other > 0 {
			b.Fatalf("%d failed calls: %v", res.Other, res.FirstErr)
		}
	}
}
