// Package lifecycletest checks a poller against the lifecycle contract of
// docs/events.md, the same way for every event client: Run once, Close
// waits for the handler running, Run then fails with vkapi.ErrClosed.
package lifecycletest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
)

// Poller is what the contract is about.
type Poller interface {
	Run(ctx context.Context) error
	Close() error
}

// Blocker is a handler whose first call blocks until the check lets it
// return; later calls return at once.
type Blocker struct {
	started  chan struct{}
	release  chan struct{}
	once     sync.Once
	returned atomic.Bool
}

// NewBlocker returns a Blocker.
func NewBlocker() *Blocker {
	return &Blocker{started: make(chan struct{}), release: make(chan struct{})}
}

// Handle is the handler's body.
func (b *Blocker) Handle(context.Context) error {
	first := false
	b.once.Do(func() { first = true })
	if !first {
		return nil
	}
	close(b.started)
	<-b.release
	b.returned.Store(true)
	return nil
}

// Check runs p (whose handler calls b.Handle, and which gets an event to
// handle once running) through the contract.
func Check(t *testing.T, p Poller, b *Blocker) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	select {
	case <-b.started:
	case err := <-done:
		t.Fatalf("Run ended before the handler ran: %v", err)
	}
	if err := p.Run(context.Background()); !errors.Is(err, vkapi.ErrAlreadyRunning) {
		t.Errorf("second Run: %v, want ErrAlreadyRunning", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	close(b.release)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if !b.returned.Load() {
		t.Error("Close returned while the handler was running")
	}
	if err := <-done; !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if err := p.Run(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("Run called after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
