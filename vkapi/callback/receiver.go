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

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
)

// Defaults of Config.
const (
	// DefaultHandlerTimeout bounds a handler before its answer: VK counts
	// a slow answer as a failure and sends the event again; how long it
	// waits is not documented (see docs/callback.md), so the default stays
	// well under the few seconds reported.
	DefaultHandlerTimeout = 3 * time.Second
	DefaultQueueSize      = 1024
	DefaultQueueBytes     = 16 << 20
	DefaultQueueWait      = 2 * time.Second
	DefaultBusyRetry      = 10 * time.Second
	DefaultMaxBodyBytes   = 1 << 20
)

// Config configures a Receiver. The zero value answers no confirmation
// (there is no code to answer), accepts any secret and community, remembers
// DefaultDedupWindow event_ids in memory, and handles each event at least
// once, one at a time, answering "ok" after the handler returned nil
// within DefaultHandlerTimeout; a nil Handler ignores every event.
type Config struct {
	// Secret is the community's secret key for this server; "" accepts
	// any (and none). A body with another secret gets 403.
	Secret string
	// Confirmation is the code answered to {"type":"confirmation"}
	// (groups.getCallbackConfirmationCode). It is answered only to a
	// confirmation of GroupID, which must then be set.
	Confirmation string
	// GroupID, when not 0, refuses bodies of other communities (403).
	GroupID int64
	// Handler gets every event; nil ignores them.
	Handler vkevent.Handler
	// Dedup remembers the event_ids handled; nil is NewMemoryDedup(0).
	Dedup Dedup
	// Workers is the number of handlers running at once (default 1:
	// events are handled one after another).
	Workers int
	// HandlerTimeout bounds, in the default mode, the wait of a request
	// for a worker and its handler (default DefaultHandlerTimeout; keep it
	// under VK's answer timeout). The handler's context ends with it; a
	// handler that has not returned by then gets the answer 503, so VK
	// sends the event again.
	HandlerTimeout time.Duration

	// AtMostOnce acknowledges each new event as soon as it is queued in
	// memory, before the handler runs: answers are fast, but an event
	// queued when the process dies is lost (VK got "ok" and does not
	// resend it). The fields below bound that queue.
	AtMostOnce bool
	// QueueSize and QueueBytes bound the queued events not yet handled,
	// by count and by the size of their bodies (default
	// DefaultQueueSize, DefaultQueueBytes).
	QueueSize  int
	QueueBytes int64
	// QueueWait is how long a request may wait for room in a full queue
	// before it is answered 503 (default DefaultQueueWait).
	QueueWait time.Duration

	// BusyRetry is the Retry-After of a 503 answer (default
	// DefaultBusyRetry; whole seconds).
	BusyRetry time.Duration
	// MaxBodyBytes bounds a body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// OnError is called when the handler fails, panics or times out.
	OnError func(e *vkevent.Event, err error)
	// Logger gets a record per refused request, busy answer and handler
	// failure; nil discards. The secret never appears in it.
	Logger *slog.Logger
}

// OK is the answer VK waits for: these two bytes, HTTP 200.
const OK = "ok"

// ErrClosed is matched by the error of Close or Shutdown called again
// (errors.Is(err, vkapi.ErrClosed) holds too).
var ErrClosed = vkapi.ErrClosed

// HandlerPanic is the error OnError gets for a handler that panicked.
type HandlerPanic struct{ Value any }

func (p *HandlerPanic) Error() string { return fmt.Sprintf("callback: handler panicked: %v", p.Value) }

// Stats counts what a Receiver answered and handled.
type Stats struct {
	Confirmations int64 // confirmation requests answered
	Accepted      int64 // new events taken (handled or queued)
	Duplicates    int64 // resends of a finished event_id, answered ok
	InFlight      int64 // resends of an event_id in flight, answered 503
	Refused       int64 // 400, 403, 405
	Busy          int64 // 503: no room, handler failed or late, de-duplication failed, closed
	Handled       int64 // events the handler returned from
	Failed        int64 // of which with an error or a panic
}

// Receiver is the http.Handler of a Callback API server. Make it with New;
// it is safe for concurrent use.
type Receiver struct {
	cfg    Config
	log    *slog.Logger
	slots  chan struct{}      // default mode: one per running handler
	queue  chan *queued       // AtMostOnce: the events acknowledged, not handled
	qbytes *byteBudget        // AtMostOnce: the bytes of the queue
	hctx   context.Context    // the handlers' context, cancelled when Shutdown gives up
	cancel context.CancelFunc //
	wg     sync.WaitGroup     // workers and running handlers

	mu       sync.Mutex
	closed   bool
	senders  int           // requests between the closed check and their answer
	idle     chan struct{} // closed when closed && senders == 0
	stopping chan struct{} // closed by Shutdown: waiting requests give up

	confirmations, accepted, duplicates, inflight, refused, nbusy, handled, failed atomic.Int64
	// abandoned counts the events taken and not handled once Shutdown gave
	// up: handlers that failed after their context was cancelled, and
	// with AtMostOnce the queued events dropped.
	abandoned atomic.Int64
}

// New returns a Receiver; with AtMostOnce it starts its workers. Close
// or Shutdown ends every goroutine it started.
func New(cfg Config) (*Receiver, error) {
	if cfg.QueueSize < 0 || cfg.QueueBytes < 0 || cfg.Workers < 0 || cfg.QueueWait < 0 || cfg.HandlerTimeout < 0 ||
		cfg.BusyRetry < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("callback: QueueSize, QueueBytes, Workers, QueueWait, HandlerTimeout, BusyRetry and MaxBodyBytes must not be negative")
	}
	if cfg.Confirmation != "" && cfg.GroupID == 0 {
		return nil, errors.New("callback: a Confirmation code needs the GroupID it is answered for")
	}
	cfg.QueueSize = orDefault(cfg.QueueSize, DefaultQueueSize)
	cfg.Workers = orDefault(cfg.Workers, 1)
	cfg.QueueBytes = orDefault(cfg.QueueBytes, DefaultQueueBytes)
	cfg.QueueWait = orDefault(cfg.QueueWait, DefaultQueueWait)
	cfg.HandlerTimeout = orDefault(cfg.HandlerTimeout, DefaultHandlerTimeout)
	cfg.BusyRetry = orDefault(cfg.BusyRetry, DefaultBusyRetry)
	cfg.MaxBodyBytes = orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	if cfg.Dedup == nil {
		cfg.Dedup = NewMemoryDedup(0)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{cfg: cfg, log: log, idle: make(chan struct{}), stopping: make(chan struct{})}
	r.hctx, r.cancel = context.WithCancel(context.Background())
	if cfg.AtMostOnce {
		r.queue = make(chan *queued, cfg.QueueSize)
		r.qbytes = newByteBudget(max(cfg.QueueBytes, cfg.MaxBodyBytes))
		for range cfg.Workers {
			r.wg.Add(1)
			go r.work()
		}
	} else {
		r.slots = make(chan struct{}, cfg.Workers)
	}
	return r, nil
}

// orDefault is v, or def when v is zero.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Stats returns the counters so far.
func (r *Receiver) Stats() Stats {
	return Stats{Confirmations: r.confirmations.Load(), Accepted: r.accepted.Load(), Duplicates: r.duplicates.Load(),
		InFlight: r.inflight.Load(), Refused: r.refused.Load(), Busy: r.nbusy.Load(), Handled: r.handled.Load(),
		Failed: r.failed.Load()}
}

func (r *Receiver) refuse(w http.ResponseWriter, status int, why string) {
	r.refused.Add(1)
	r.log.Warn("callback: request refused", "status", status, "reason", why)
	http.Error(w, why, status)
}

// busyAnswer is the body of every 503: the reason goes to the log, not to
// the sender.
const busyAnswer = "busy: send the event again later"

// RetryAfter is implemented by a handler's error that knows when to send
// the event again (a full durable queue): its 503 carries that Retry-After
// instead of Config.BusyRetry.
type RetryAfter interface{ RetryAfter() time.Duration }

// tooBusy answers 503 with a Retry-After: VK sends the event again later.
// An err implementing RetryAfter with a positive wait sets the header.
func (r *Receiver) tooBusy(w http.ResponseWriter, why string, e *vkevent.Event, err error) {
	r.nbusy.Add(1)
	attrs := []any{"reason", why, "event", e}
	retry := r.cfg.BusyRetry
	if err != nil {
		attrs = append(attrs, "err", err)
		if ra := RetryAfter(nil); errors.As(err, &ra) && ra.RetryAfter() > 0 {
			retry = ra.RetryAfter() + time.Second - 1 // whole seconds, rounded up
		}
	}
	r.log.Warn("callback: event not taken, VK will resend it", attrs...)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retry/time.Second))))
	http.Error(w, busyAnswer, http.StatusServiceUnavailable)
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
		if r.cfg.Confirmation == "" {
			r.refuse(w, http.StatusForbidden, "no confirmation code configured")
			return
		}
		r.confirmations.Add(1)
		answer(w, r.cfg.Confirmation)
		return
	}
	e.Secret = ""
	if !r.enter() {
		r.tooBusy(w, "receiver closed", e, nil)
		return
	}
	defer r.leave()
	if e.EventID != "" {
		st, err := r.cfg.Dedup.Claim(req.Context(), e.EventID)
		switch {
		case err != nil:
			r.tooBusy(w, "de-duplication failed", e, err)
			return
		case st == Finished:
			r.duplicates.Add(1)
			answer(w, OK)
			return
		case st == InFlight:
			r.inflight.Add(1)
			r.tooBusy(w, "a delivery of the event is in flight", e, nil)
			return
		}
	}
	if r.cfg.AtMostOnce {
		r.enqueue(w, req, e, len(body))
		return
	}
	r.handleNow(w, req, e)
}

// enter counts a request that may take an event; false after Close.
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

// call runs the handler, a panic made an error.
func (r *Receiver) call(ctx context.Context, e *vkevent.Event) (err error) {
	if r.cfg.Handler == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = &HandlerPanic{Value: v}
		}
	}()
	return r.cfg.Handler.HandleEvent(ctx, e)
}

// report counts a handler's return and reports its error.
func (r *Receiver) report(e *vkevent.Event, err error) {
	r.handled.Add(1)
	if err == nil {
		return
	}
	r.failed.Add(1)
	if r.hctx.Err() != nil {
		r.abandoned.Add(1)
	}
	r.log.Error("callback: handler failed", "event", e, "err", err)
	if r.cfg.OnError != nil {
		r.cfg.OnError(e, err)
	}
}

// settle makes the claim of a handled event final, or releases it, with a
// context of its own: the request's may be over.
func (r *Receiver) settle(e *vkevent.Event, handled bool) {
	if e.EventID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if handled {
		if err := r.cfg.Dedup.Finish(ctx, e.EventID); err != nil {
			r.log.Error("callback: recording a handled event failed; a resend may be handled again", "event", e, "err", err)
		}
		return
	}
	if err := r.cfg.Dedup.Release(ctx, e.EventID); err != nil {
		r.log.Error("callback: releasing the claim of an event not handled failed; its resends wait for the claim to expire", "event", e, "err", err)
	}
}
