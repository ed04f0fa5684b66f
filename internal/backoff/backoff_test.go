package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

func TestCeilingDoublesAndCaps(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := b.Ceiling(i + 1); got != w {
			t.Errorf("Ceiling(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// The Long Poll defaults of an hour-long outage: Base 1 m, Max 2 h panicked
// on the 29th failure before (a shift past int64).
func TestDelayNeverOverflows(t *testing.T) {
	for _, b := range []Backoff{
		{Base: time.Minute, Max: 2 * time.Hour},
		{Base: math.MaxInt64, Max: math.MaxInt64},
		{Base: 1, Max: math.MaxInt64},
		{Base: time.Hour, Max: time.Second},
	} {
		for n := range 200 {
			d := b.Delay(n + 1)
			if d <= 0 || d > b.Max {
				t.Fatalf("%+v: Delay(%d) = %v", b, n+1, d)
			}
		}
	}
	if d := (Backoff{}).Delay(3); d != 0 {
		t.Errorf("zero Backoff: %v", d)
	}
}

func FuzzBackoff(f *testing.F) {
	f.Add(int64(time.Minute), int64(2*time.Hour), 29)
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), math.MaxInt)
	f.Add(int64(-1), int64(5), 0)
	f.Fuzz(func(t *testing.T, base, max int64, n int) {
		b := Backoff{Base: time.Duration(base), Max: time.Duration(max)}
		c := b.Ceiling(n)
		d := b.Delay(n)
		switch {
		case base <= 0 || max <= 0:
			if c != 0 || d != 0 {
				t.Fatalf("%+v, %d: ceiling %v, delay %v", b, n, c, d)
			}
		case c <= 0 || c > b.Max || c < min(b.Base, b.Max) || d < 1 || d > c:
			t.Fatalf("%+v, %d: ceiling %v, delay %v", b, n, c, d)
		}
	})
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Sleep(context.Background(), time.Minute); err != nil || time.Since(start) != time.Minute {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
		cause := errors.New("stop")
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() { time.Sleep(time.Second); cancel(cause) }()
		start = time.Now()
		if err := Sleep(ctx, time.Hour); err != cause || time.Since(start) != time.Second {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
		if err := Sleep(ctx, 0); err != cause {
			t.Fatalf("ended ctx, no wait: %v", err)
		}
	})
}
