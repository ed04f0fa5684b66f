package vkstream

import (
	"testing"
	"time"
)

// TestBackoffLongOutage: the waits of a long outage stay within
// (0, Max] for any number of failures in a row. Base 1 m with Max 2 h
// panicked on the 29th reconnection before (a shift past int64 made the
// ceiling negative).
func TestBackoffLongOutage(t *testing.T) {
	for _, b := range []Backoff{
		{Base: time.Minute, Max: 2 * time.Hour},
		{Base: time.Hour, Max: time.Second},
		{}, // the defaults
	} {
		b = b.withDefaults()
		for n := 1; n <= 200; n++ {
			if d := b.delay(n); d <= 0 || d > b.Max {
				t.Fatalf("%+v: delay(%d) = %v", b, n, d)
			}
		}
	}
}
