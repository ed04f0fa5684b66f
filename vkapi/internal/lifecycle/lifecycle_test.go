package lifecycle

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkapi"
)

func TestRunOnceThenClosed(t *testing.T) {
	l := New("x")
	accept, handle, done, err := l.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := l.Start(context.Background()); !errors.Is(err, vkapi.ErrAlreadyRunning) {
		t.Fatalf("second Start: %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Shutdown(context.Background()) }()
	<-accept.Done() // Close stops accepting at once...
	if handle.Err() != nil {
		t.Fatal("...but leaves the handlers' context alone")
	}
	done()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := l.Start(context.Background()); !errors.Is(err, vkapi.ErrClosed) || err.Error() != "x: closed" {
		t.Fatalf("Start after Close: %v", err)
	}
	if _, _, err := l.Enter(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Fatalf("Enter after Close: %v", err)
	}
}

// Shutdown's wait ends with its context, and then the handlers' context
// (and the calls' contexts) end too.
func TestShutdownBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New("x")
		_, handle, done, err := l.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		call, leave, err := l.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := l.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v", err)
		}
		<-call.Done() // ended by a callback of its own goroutine
		if !errors.Is(context.Cause(handle), vkapi.ErrClosed) || !errors.Is(context.Cause(call), vkapi.ErrClosed) {
			t.Fatalf("causes %v, %v", context.Cause(handle), context.Cause(call))
		}
		done()
		leave()
		if err := l.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
