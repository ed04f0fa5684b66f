// Package retry is what the client, the Long Poll pollers and the uploader
// share about retrying: the full-jitter backoff, the wait that ends with a
// context, and the one rule that tells a failure time may fix (Transient)
// from an API error that needs a person (Fatal).
package retry

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/vkerr/vkerr"
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

// Transient reports a failure that time alone may fix: an API or HTTP error
// of the transient category (vkerr.ErrTransient: 1, 10, 5xx, empty or
// truncated bodies), a network error (timeouts, resets, refused
// connections, DNS), an unexpected end of the answer.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, vkerr.ErrTransient) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Fatal reports an API error that no wait fixes, so a long-running loop
// must end and tell a person: a *vkerr.Error outside the transient and
// rate-limit categories (5 a dead token, 15 no access, 27 a group token
// where a user one is needed, 100 a bad parameter, ...). Rate limits (6, 9,
// 29) and server failures (1, 10) are not fatal: they are waited out.
// Errors that are not API errors are not fatal.
func Fatal(err error) bool {
	var ve *vkerr.Error
	if !errors.As(err, &ve) {
		return false
	}
	switch ve.Code.Category() {
	case vkerr.CategoryTransient, vkerr.CategoryRateLimit:
		return false
	}
	return true
}
