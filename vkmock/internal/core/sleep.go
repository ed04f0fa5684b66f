package core

import (
	"context"
	"time"
)

// Sleep waits for d. It reports false, at once, when ctx ends or done is
// closed first (done is the server's lifetime: Close ends every wait).
func Sleep(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-done:
			return false
		default:
		}
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-done:
		return false
	}
}
