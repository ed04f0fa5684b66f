// Package retry is what the client, the Long Poll pollers and the uploader
// share about retrying: the full-jitter backoff and the wait that ends
// with a context (both from internal/backoff, which the event queue and
// the Streaming client use too), and the one rule that tells a failure
// time may fix (Transient) from an API error that needs a person (Fatal).
package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/backoff"
)

// Backoff is the full-jitter backoff every client shares; see
// internal/backoff.
type Backoff = backoff.Backoff

// Sleep waits d, or until ctx ends, as backoff.Sleep does.
func Sleep(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

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
