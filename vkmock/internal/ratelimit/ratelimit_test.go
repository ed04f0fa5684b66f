package ratelimit

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestRateLimitConcurrent checks the strict window under concurrency: no
// one-second span holds more than 3 accepted requests.
func TestRateLimitConcurrent(t *testing.T) {
	var l Limiter
	var ticks atomic.Int64
	clock := func() time.Time { return time.Unix(1000, 0).Add(time.Duration(ticks.Add(1)) * 7 * time.Millisecond) }
	done := make(chan time.Time, 400)
	for range 400 {
		go func() {
			if at, ok := l.Allow(Key{Token: "t"}, clock, 3); ok {
				done <- at
			} else {
				done <- time.Time{}
			}
		}()
	}
	var accepted []time.Time
	for range 400 {
		if at := <-done; !at.IsZero() {
			accepted = append(accepted, at)
		}
	}
	// 400 ticks of 7 ms span 2.8 s: at most 3 a second, at least 3 in all.
	if len(accepted) < 3 || len(accepted) > 9 {
		t.Fatalf("%d accepted", len(accepted))
	}
	for _, a := range accepted {
		n := 0
		for _, b := range accepted {
			if !b.Before(a) && b.Before(a.Add(time.Second)) {
				n++
			}
		}
		if n > 3 {
			t.Fatalf("%d accepted requests in the second from %v", n, a)
		}
	}
}
