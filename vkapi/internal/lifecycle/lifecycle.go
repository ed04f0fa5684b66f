// Package lifecycle is the one Run/Close contract of the event and file
// clients (docs/events.md): Run once, Close stops accepting work, waits for
// the handlers running and for every goroutine, and every later call fails
// with an error matching vkapi.ErrClosed.
package lifecycle

import (
	"context"
	"fmt"
	"sync"

	"github.com/vkerr/vkerr/vkapi"
)

// errStopped is the cause of the accepting context once Close was called.
var errStopped = fmt.Errorf("stopping: %w", vkapi.ErrClosed)

// Life is the lifecycle of one poller or uploader. The zero Life is ready:
// not started, not closed.
type Life struct {
	name string // the package, prefixed to the errors

	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelCauseFunc // ends the accepting context
	abort   context.CancelCauseFunc // ends the handlers' context
	running sync.WaitGroup          // Run, or the calls in flight (Enter)

	// calls ends the contexts of the calls in flight (Enter) when
	// Shutdown's wait runs out.
	calls    context.Context
	endCalls context.CancelCauseFunc
}

// New returns a Life whose errors begin with name ("longpoll").
func New(name string) *Life {
	l := &Life{name: name}
	l.calls, l.endCalls = context.WithCancelCause(context.Background())
	return l
}

// Closed is the error of a call after Close: it matches vkapi.ErrClosed.
func (l *Life) Closed() error { return fmt.Errorf("%s: %w", l.name, vkapi.ErrClosed) }

// Start begins the one Run. It returns accept, which ends when Close is
// called or ctx ends (stop polling, start no handler), handle, which ends
// when ctx ends or Shutdown's wait runs out (the context handlers run
// with), and done, which Run must call when it returns, after every
// goroutine it started has ended. A second Start fails with
// vkapi.ErrAlreadyRunning, a Start after Close with Closed().
func (l *Life) Start(ctx context.Context) (accept, handle context.Context, done func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return nil, nil, nil, l.Closed()
	case l.started:
		return nil, nil, nil, fmt.Errorf("%s: %w", l.name, vkapi.ErrAlreadyRunning)
	}
	l.started = true
	handle, l.abort = context.WithCancelCause(ctx)
	accept, l.stop = context.WithCancelCause(handle)
	l.running.Add(1)
	return accept, handle, func() {
		l.stop(nil)
		l.abort(nil)
		l.running.Done()
	}, nil
}

// Enter begins a call of a client without Run (an upload): it fails with
// Closed() after Close; otherwise it returns the call's context, which
// also ends when Shutdown's wait runs out, and leave, which the call must
// call when it returns: Close waits for it.
func (l *Life) Enter(ctx context.Context) (_ context.Context, leave func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, l.Closed()
	}
	l.running.Add(1)
	cctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(l.calls, func() { cancel(errStopped) })
	return cctx, func() {
		stop()
		cancel(nil)
		l.running.Done()
	}, nil
}

// Stopped reports whether Close was called: Run then returns Closed()
// rather than its context's error.
func (l *Life) Stopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Shutdown stops accepting work and waits until Run (or every call in
// flight) has returned. When ctx ends first, it cancels the handlers'
// context and returns ctx's error without waiting longer: Run returns as
// soon as the handler running honours its context. Later calls of Start
// and Enter fail with Closed(); Shutdown and Close may be called again.
func (l *Life) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	stop, abort := l.stop, l.abort
	l.mu.Unlock()
	if stop != nil {
		stop(errStopped)
	}
	done := make(chan struct{})
	go func() {
		l.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		if abort != nil {
			abort(errStopped)
		}
		l.endCalls(errStopped)
		return context.Cause(ctx)
	}
}
