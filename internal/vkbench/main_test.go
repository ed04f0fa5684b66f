package main

import (
	"testing"
	"time"
)

// TestMeasure runs each mode briefly: the client keeps to the mock's strict
// window (no error 6, nothing failed) and delivers calls.
func TestMeasure(t *testing.T) {
	if _, err := measure("nonsense", 1, time.Millisecond); err == nil {
		t.Error("an unknown mode must fail")
	}
	// The modes, each with a mock of its own, side by side: 1.5 s of real
	// time each, waiting on the mock's window.
	for _, mode := range []string{"plain", "batching"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r, err := measure(mode, 30, 1500*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if r.err6 != 0 || r.failed != 0 || r.calls == 0 {
				t.Errorf("%s: %d calls, %d failed, %d errors 6", mode, r.calls, r.failed, r.err6)
			}
			// At most the budget per started window, as the mock counts them.
			limit := int64(20 * 2)
			if mode == "batching" {
				limit = 25 * 20 * 2
			}
			if r.calls > limit {
				t.Errorf("%s: %d calls in 1.5 s is over the budget", mode, r.calls)
			}
		})
	}
}
