package callback

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// Defaults of Config.
const (
	DefaultQueueSize    = 1024
	DefaultBudget       = 2 * time.Second
	DefaultBusyRetry    = 10 * time.Second
	DefaultMaxBodyBytes = 1 << 20
)

// Config configures a Receiver. The zero value answers confirmations with
// an empty code, accepts any secret and community, remembers
// DefaultDedupWindow event_ids in memory, queues DefaultQueueSize events
// for one worker, and ignores every event.
type Config struct {
	// Secret is the community's secret key for this server; "" accepts
	// any (and none). A body with another secret gets 403.
	Secret string
	// Confirmation is the code answered to {"type":"confirmation"}
	// (groups.getCallbackConfirmationCode).
	Confirmation string
	// GroupID, when not 0, refuses bodies of other communities (403).
	GroupID int64
	// Handler gets every accepted event once; nil ignores them.
	Handler vkevent.Handler
	// Dedup remembers the accepted event_ids; nil is NewMemoryDedup(0).
	Dedup Dedup
	// QueueSize bounds the accepted events not yet handled (default
	// DefaultQueueSize).
	QueueSize int
	// Workers is the number of goroutines calling Handler (default 1:
	// events are handled in the order they were accepted).
	Workers int
	// Budget is how long a request may wait for room in a full queue
	// before it is answered 503 (default DefaultBudget; keep it well
	// under the sender's timeout, VK's is a few seconds).
	Budget time.Duration
	// BusyRetry is the Retry-After of a 503 answer (default
	// DefaultBusyRetry; whole seconds).
	BusyRetry time.Duration
	// MaxBodyBytes bounds a body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// OnError is called when the handler fails or panics (from a worker).
	OnError func(e *vkevent.Event, err error)
	// Logger gets a record per refused request, busy answer and handler
	// failure; nil discards. The secret never appears in it.
	Logger *slog.Logger
}

// OK is the answer VK waits for: these two bytes, HTTP 200.
const OK = "ok"

// ErrClosed is the error of a Receiver used after Close.
var ErrClosed = errors.New("callback: receiver closed")

// HandlerPanic is the error OnError gets for a handler that panicked.
type HandlerPanic struct{ Value any }

func (p *HandlerPanic) Error() string { return fmt.Sprintf("callback: handler panicked: %v", p.Value) }

// Stats counts what a Receiver answered.
type Stats struct {
	Confirmations int64 // confirmation requests answered
	Accepted      int64 // new events queued
	Duplicates    int64 // resends of an accepted event_id, answered ok
	Refused       int64 // 400, 403, 405
	Busy          int64 // 503: queue full, de-duplication failed, closed
	Handled       int64 // events the handler returned from
	Failed        int64 // of which with an error or a panic
}

// Receiver is the http.Handler of a Callback API server. Make it with New;
// it is safe for concurrent use.
type Receiver struct {
	cfg    Config
	log    *slog.Logger
	queue  chan *vkevent.Event
	hctx   context.Context // the handlers' context, cancelled when Shutdown gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup // workers

	mu       sync.Mutex
	closed   bool
	senders  int           // requests between the closed check and the queue
	idle     chan struct{} // closed when closed && senders == 0
	stopping chan struct{} // closed by Shutdown: waiting requests give up

	confirmations, accepted, duplicates, refused, busy, handled, failed atomic.Int64
}

// New returns a Receiver and starts its workers; Close ends them.
func New(cfg Config) (*Receiver, error) {
	if cfg.QueueSize < 0 || cfg.Workers < 0 || cfg.Budget < 0 || cfg.BusyRetry < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("callback: QueueSize, Workers, Budget, BusyRetry and MaxBodyBytes must not be negative")
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.Budget == 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.BusyRetry == 0 {
		cfg.BusyRetry = DefaultBusyRetry
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Dedup == nil {
		cfg.Dedup = NewMemoryDedup(0)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{cfg: cfg, log: log, queue: make(chan *vkevent.Event, cfg.QueueSize),
		idle: make(chan struct{}), stopping: make(chan struct{})}
	r.hctx, r.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		r.wg.Add(1)
		go r.work()
	}
	return r, nil
}

// Stats returns the counters so far.
func (r *Receiver) Stats() Stats {
	return Stats{Confirmations: r.confirmations.Load(), Accepted: r.accepted.Load(), Duplicates: r.duplicates.Load(),
		Refused: r.refused.Load(), Busy: r.busy.Load(), Handled: r.handled.Load(), Failed: r.failed.Load()}
}

func (r *Receiver) refuse(w http.ResponseWriter, status int, why string) {
	r.refused.Add(1)
	r.log.Warn("callback: request refused", "status", status, "reason", why)
	http.Error(w, why, status)
}

// tooBusy answers 503 with a Retry-After: VK sends the event again later.
func (r *Receiver) tooBusy(w http.ResponseWriter, why string, e *vkevent.Event) {
	r.busy.Add(1)
	r.log.Warn("callback: event not accepted, VK will resend it", "reason", why, "event", e)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(r.cfg.BusyRetry/time.Second))))
	http.Error(w, why, http.StatusServiceUnavailable)
}

func answer(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// ServeHTTP answers one Callback API request; see the package doc.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.refuse(w, http.StatusMethodNotAllowed, "the Callback API POSTs")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.cfg.MaxBodyBytes))
	if err != nil {
		r.refuse(w, http.StatusBadRequest, "unreadable or too big a body")
		return
	}
	e, err := vkevent.DecodeCallback(body)
	if err != nil {
		r.refuse(w, http.StatusBadRequest, "not a Callback API event")
		return
	}
	if r.cfg.GroupID != 0 && e.GroupID != r.cfg.GroupID {
		r.refuse(w, http.StatusForbidden, "another community")
		return
	}
	if r.cfg.Secret != "" && subtle.ConstantTimeCompare([]byte(e.Secret), []byte(r.cfg.Secret)) != 1 {
		// A confirmation may come without the secret; one with a wrong
		// secret is refused like any body.
		if e.Type != vkevent.TypeConfirmation || e.Secret != "" {
			r.refuse(w, http.StatusForbidden, "wrong secret")
			return
		}
	}
	if e.Type == vkevent.TypeConfirmation {
		r.confirmations.Add(1)
		answer(w, r.cfg.Confirmation)
		return
	}
	e.Secret = ""
	if !r.enter() {
		r.tooBusy(w, "receiver closed", e)
		return
	}
	defer r.leave()
	if e.EventID != "" {
		fresh, err := r.cfg.Dedup.Claim(req.Context(), e.EventID)
		if err != nil {
			r.tooBusy(w, "de-duplication failed: "+err.Error(), e)
			return
		}
		if !fresh {
			r.duplicates.Add(1)
			answer(w, OK)
			return
		}
	}
	t := time.NewTimer(r.cfg.Budget)
	defer t.Stop()
	select {
	case r.queue <- e:
		r.accepted.Add(1)
		answer(w, OK)
		return
	case <-t.C:
	case <-req.Context().Done():
	case <-r.stopping:
	}
	if e.EventID != "" {
		// A fresh context: the request's may be done, and the claim must go.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), time.Second)
		if err := r.cfg.Dedup.Release(ctx, e.EventID); err != nil {
			r.log.Error("callback: releasing the claim of an event not accepted failed; its resend will be skipped", "event", e, "err", err)
		}
		cancel()
	}
	r.tooBusy(w, "queue full", e)
}

// enter counts a request that may put an event on the queue; false after
// Close.
func (r *Receiver) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.senders++
	return true
}

func (r *Receiver) leave() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.senders--
	if r.closed && r.senders == 0 {
		close(r.idle)
	}
}

func (r *Receiver) work() {
	defer r.wg.Done()
	for e := range r.queue {
		r.handle(e)
	}
}

func (r *Receiver) handle(e *vkevent.Event) {
	err := r.call(e)
	r.handled.Add(1)
	if err == nil {
		return
	}
	r.failed.Add(1)
	r.log.Error("callback: handler failed", "event", e, "err", err)
	if r.cfg.OnError != nil {
		r.cfg.OnError(e, err)
	}
}

func (r *Receiver) call(e *vkevent.Event) (err error) {
	if r.cfg.Handler == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = &HandlerPanic{Value: v}
		}
	}()
	return r.cfg.Handler.HandleEvent(r.hctx, e)
}

// Close is Shutdown without a deadline.
func (r *Receiver) Close() error { return r.Shutdown(context.Background()) }

// Shutdown stops accepting events (503 from then on, so VK resends them
// to a replica still running), waits for the workers to handle the queued
// ones, and returns when every goroutine the Receiver started has ended.
// When ctx ends first, the handlers' context is cancelled, the events
// still queued are not handled, and ctx's error is returned after the
// workers end. A second call returns ErrClosed.
func (r *Receiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.closed = true
	close(r.stopping)
	if r.senders == 0 {
		close(r.idle)
	}
	r.mu.Unlock()
	<-r.idle // every request that could queue has answered
	close(r.queue)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		r.cancel()
		// Drop what is left: the workers end after their current event.
		for range r.queue {
		}
		<-done
	}
	r.cancel()
	return err
}
