package core

import "strconv"

// The wait of a Long Poll a_check (Bots and User Long Poll alike).
const (
	// MaxWait is the longest wait VK allows (seconds).
	MaxWait = 90
	// DefaultWait is the wait of a request without one.
	DefaultWait = 25
)

// Wait reads an a_check's wait parameter: DefaultWait when absent, not a
// number or negative, at most MaxWait.
func Wait(v string) int {
	n, err := strconv.Atoi(v)
	if v == "" || err != nil || n < 0 {
		return DefaultWait
	}
	return min(n, MaxWait)
}
