// Package backoff is how every client of the module waits between tries:
// exponential backoff with full jitter (Backoff), and a wait that ends
// with its context (Sleep). The API client, the Long Poll pollers, the
// uploader, the event queue and the Streaming client share it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with full jitter: the wait after the n-th
// failure in a row is a random duration in [1ns, min(Max, Base·2^(n-1))].
// The zero Backoff waits 0; a Max below Base caps every wait at Max; no
// Base, Max or n overflows.
type Backoff struct {
	Base, Max time.Duration
}

// Ceiling is the longest wait after the n-th failure (n from 1):
// min(Max, Base·2^(n-1)), computed without overflow; 0 when Base or Max is
// not positive.
func (b Backoff) Ceiling(n int) time.Duration {
	if b.Base <= 0 || b.Max <= 0 {
		return 0
	}
	c := min(b.Base, b.Max)
	for i := 1; i < n && c < b.Max; i++ {
		if c > b.Max/2 {
			return b.Max
		}
		c *= 2
	}
	return c
}

// Delay is a random wait in [1ns, Ceiling(n)] after the n-th failure in a
// row; 0 when the ceiling is 0.
func (b Backoff) Delay(n int) time.Duration {
	c := b.Ceiling(n)
	if c <= 0 {
		return 0
	}
	return rand.N(c) + 1
}

// Sleep waits d, or until ctx ends; it returns nil after the wait and the
// cause of ctx's end otherwise (at once when d is not positive and ctx has
// ended).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
