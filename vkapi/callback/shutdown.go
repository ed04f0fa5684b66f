package callback

import (
	"context"
	"fmt"
)

// ShutdownError is the error of a Shutdown whose context ended before
// every event taken was handled.
type ShutdownError struct {
	// Unfinished is the number of events taken and not handled because
	// the context ended: their handlers were cancelled and failed, or
	// (AtMostOnce) they were still queued.
	Unfinished int64
	// Acknowledged: they had been answered "ok" (AtMostOnce), so VK does
	// not resend them and they are lost; otherwise they were not, and VK
	// sends them again.
	Acknowledged bool
	Err          error // the context's error
}

func (e *ShutdownError) Error() string {
	if e.Acknowledged {
		return fmt.Sprintf("callback: shutdown left %d acknowledged events unhandled (lost): %v", e.Unfinished, e.Err)
	}
	return fmt.Sprintf("callback: shutdown left %d events unfinished (not answered ok: VK resends them): %v", e.Unfinished, e.Err)
}

func (e *ShutdownError) Unwrap() error { return e.Err }

// Close is Shutdown without a deadline.
func (r *Receiver) Close() error { return r.Shutdown(context.Background()) }

// Shutdown stops taking events (503 from then on, so VK resends them to
// a replica still running, or to this one restarted), waits for the
// running handlers (and with AtMostOnce for the queued events), and
// returns when every goroutine the Receiver started has ended. When ctx
// ends first, the handlers' context is cancelled, queued events are not
// handled, and a *ShutdownError (matching ctx's error) says how many
// events were left; it still returns only once the handlers have
// returned, so a handler must honour its context. A later call returns an
// error matching ErrClosed.
func (r *Receiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("callback: Shutdown called again: %w", ErrClosed)
	}
	r.closed = true
	close(r.stopping)
	if r.senders == 0 {
		close(r.idle)
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		<-r.idle // every request that could take an event has answered
		if r.queue != nil {
			close(r.queue)
		}
		r.wg.Wait()
		close(done)
	}()
	defer r.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	r.cancel()
	<-done
	left := r.abandoned.Load()
	if left == 0 {
		return nil
	}
	return &ShutdownError{Unfinished: left, Acknowledged: r.cfg.AtMostOnce, Err: ctx.Err()}
}
