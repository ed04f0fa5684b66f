package vkapi

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// waitUntil yields until cond holds; the test's deadline bounds it.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}

func TestCallAfterCloseFails(t *testing.T) {
	f := newFakeVK(t, func(r fakeReq) reply {
		return reply{body: `{"response":` + onesArray(max(1, countCalls(r.Form.Get("code")))) + `}`}
	})
	for _, batching := range []bool{false, true} {
		opts := []Option{WithBaseURL(f.URL()), WithTokenKind(KindGroup)}
		if batching {
			opts = append(opts, WithBatching(BatchOptions{}))
		}
		c := New("tok", opts...)
		if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		before := f.count()
		err := c.Call(context.Background(), "users.get", nil, nil)
		var ce *CallError
		if !errors.Is(err, ErrClosed) || !errors.As(err, &ce) || ce.Attempts != 0 {
			t.Fatalf("batching %v: call after Close: %v", batching, err)
		}
		b := c.Batch()
		bc := b.Add("users.get", nil, nil)
		if err := b.Do(context.Background()); !errors.Is(err, ErrClosed) || !errors.Is(bc.Err, ErrClosed) {
			t.Fatalf("batching %v: Batch.Do after Close: %v", batching, err)
		}
		if f.count() != before {
			t.Fatalf("batching %v: %d requests after Close", batching, f.count()-before)
		}
	}
}

// TestCloseFailsOpenBatch: a call waiting in an open batch fails with
// ErrClosed when the client closes, without a request.
func TestCloseFailsOpenBatch(t *testing.T) {
	f := newFakeVK(t, nil)
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindGroup), WithBatching(BatchOptions{Window: time.Hour}))
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), "users.get", nil, nil) }()
	waitUntil(t, func() bool {
		c.batcher.mu.Lock()
		defer c.batcher.mu.Unlock()
		return len(c.batcher.queue) == 1
	})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("queued call: %v", err)
	}
	if n := f.count(); n != 0 {
		t.Fatalf("%d requests", n)
	}
}

// TestCloseStopsEveryGoroutine: with batches in flight, a token refresh
// under way and kinds detected, Close ends every goroutine the client
// started and closes its idle connections: none survives (goleak).
func TestCloseStopsEveryGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	release := make(chan struct{})
	f := newFakeVK(t, func(r fakeReq) reply {
		switch {
		case r.Method == "execute":
			<-release
			return reply{body: `{"response":[1]}`}
		case r.Token == "expired":
			return errReply(5, "User authorization failed: access_token has expired.", nil)
		}
		return ok(1)
	})
	refreshing := make(chan struct{})
	c := New("tok", WithBaseURL(f.URL()), WithTokens("expired"), WithBatching(BatchOptions{Window: time.Millisecond}),
		WithLimit(Limit{Per: 10 * time.Millisecond}),
		WithTokenRefresher(TokenRefresherFunc(func(ctx context.Context, r *Refresh) (string, error) {
			close(refreshing)
			<-ctx.Done() // a refresh that only Close ends
			return "", ctx.Err()
		})))
	// Kind detection (which a first call starts): both tokens are user
	// tokens to the fake.
	if err := c.detectKinds(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k := c.pool.entries[1].kind; k != KindUser {
		t.Fatalf("kind %v", k)
	}
	// A batch in flight, held by the server.
	batched := make(chan error, 1)
	go func() { batched <- c.Call(context.Background(), "users.get", nil, nil) }()
	// A refresh under way, its caller gone.
	ctx, cancel := context.WithCancel(context.Background())
	refreshed := make(chan error, 1)
	go func() {
		for {
			// Round robin: go on until a call lands on the expired token
			// (photos.save is never batched).
			err := c.Call(ctx, "photos.save", nil, nil)
			if err != nil {
				refreshed <- err
				return
			}
		}
	}()
	<-refreshing
	cancel()
	if err := <-refreshed; !errors.Is(err, context.Canceled) {
		t.Fatalf("refreshing call: %v", err)
	}
	waitUntil(t, func() bool {
		for _, r := range f.requests() {
			if r.Method == "execute" {
				return true
			}
		}
		return false
	})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-batched; !errors.Is(err, ErrClosed) {
		t.Fatalf("batched call: %v", err)
	}
	f.srv.Close()
}

// closeCounter is a user's transport that counts CloseIdleConnections.
type closeCounter struct {
	http.RoundTripper
	n atomic.Int32
}

func (cc *closeCounter) CloseIdleConnections() { cc.n.Add(1) }

// TestCloseLeavesUserTransport: Close closes the idle connections of the
// HTTP client New made, never those of a user's.
func TestCloseLeavesUserTransport(t *testing.T) {
	f := newFakeVK(t, nil)
	tr := &closeCounter{RoundTripper: http.DefaultTransport}
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindUser), WithHTTPClient(&http.Client{Transport: tr}))
	if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := tr.n.Load(); n != 0 {
		t.Fatalf("the user's transport was closed %d times", n)
	}
}
