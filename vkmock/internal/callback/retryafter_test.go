package callback

import (
	"testing"
	"time"
)

// FuzzParseRetryAfter reads a receiver's Retry-After however it comes:
// a delay from 0 to under maxRetryAfter, or refused; never a panic.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", "1e3", ""} {
		f.Add(s)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if ok && (d < 0 || d >= maxRetryAfter) {
			t.Fatalf("%q gave %v", v, d)
		}
	})
}
