package longpoll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/bodybuf"
	"github.com/vkerr/vkerr/vkapi/internal/httpclient"
	"github.com/vkerr/vkerr/vkapi/internal/lifecycle"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
	"github.com/vkerr/vkerr/vkevent"
)

// Defaults of Config.
const (
	DefaultWait          = 25 * time.Second
	MaxWait              = 90 * time.Second
	DefaultTimeoutMargin = 10 * time.Second
	DefaultDedupWindow   = 10000
	DefaultCooldownMin   = 10 * time.Second
	DefaultBackoffBase   = 500 * time.Millisecond
	DefaultBackoffMax    = 30 * time.Second
	// maxAnswerBytes bounds an a_check body.
	maxAnswerBytes = 32 << 20
)

// ErrClosed is matched by the error of Run after Close, and of a Run
// called after Close: it is vkapi.ErrClosed, so errors.Is(err,
// vkapi.ErrClosed) holds for every event and file client.
var ErrClosed = vkapi.ErrClosed

// Backoff is the wait between retries after a failure: a random duration
// between 0 and min(Max, Base·2^(n-1)) for the n-th failure in a row (full
// jitter), for any Base and Max without overflow. Zero fields take
// DefaultBackoffBase and DefaultBackoffMax.
type Backoff struct {
	Base, Max time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	return b
}

// delay is the wait after the n-th failure in a row (n from 1).
func (b Backoff) delay(n int) time.Duration {
	return retry.Backoff{Base: b.Base, Max: b.Max}.Delay(n)
}

// Config configures a Poller. The zero value polls the community of the
// client's token with DefaultWait, a MemoryStore and one worker, and
// ignores every event.
type Config struct {
	// GroupID is the community; 0 takes the one of the client's community
	// token (groups.getById without ids).
	GroupID int64
	// Handler gets every event; nil ignores them.
	Handler vkevent.Handler
	// Store keeps the position (the ts and the events of its answer
	// already handled) between runs; nil is a MemoryStore.
	Store Store
	// Wait is the a_check wait, whole seconds up to MaxWait (default 25 s).
	Wait time.Duration
	// TimeoutMargin is added to Wait for the HTTP timeout of an a_check
	// (default 10 s): the timeout is always longer than the wait.
	TimeoutMargin time.Duration
	// Concurrency > 1 handles events on that many workers, each peer's
	// events on one worker, in order.
	Concurrency int
	// DedupWindow is how many handled event_ids are remembered to skip a
	// repeat (default 10 000; negative turns de-duplication off).
	DedupWindow int
	// Backoff is the wait between retries after a failure.
	Backoff Backoff
	// CooldownMin is the least wait after a 29 or 9 from
	// groups.getLongPollServer (default 10 s; longer when the error says).
	CooldownMin time.Duration
	// HTTPClient sends the a_check requests; nil is a client of its own.
	// Its Timeout, if any, must exceed Wait+TimeoutMargin.
	HTTPClient *http.Client
	// Logger gets a record per recovery, gap and handler failure (debug per
	// poll); nil discards. The Long Poll key never appears in it.
	Logger *slog.Logger
	// Observer watches polls, recoveries, gaps and handler failures.
	Observer Observer
	// OnGap is called (on the polling goroutine) when events may be missing.
	OnGap func(Gap)
	// OnError is called when a handler fails or panics.
	OnError func(HandlerEvent)
}

// ServerError ends Run: groups.getLongPollServer failed in a way retrying
// cannot fix (5, 15, 27, 100...: a dead token, Long Poll disabled, no access).
type ServerError struct {
	GroupID int64
	Err     error
}

func (e *ServerError) Error() string {
	return "longpoll: groups.getLongPollServer for community " + strconv.FormatInt(e.GroupID, 10) + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *ServerError) Unwrap() error { return e.Err }

// CheckError is a failed a_check request (a network error, a timeout, a
// status other than 200, a body that is not a Long Poll answer). The
// server URL and key are not in it.
type CheckError struct {
	StatusCode int // 0 when no answer came
	Err        error
}

func (e *CheckError) Error() string {
	if e.StatusCode != 0 {
		return "longpoll: a_check: HTTP " + strconv.Itoa(e.StatusCode)
	}
	return "longpoll: a_check: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *CheckError) Unwrap() error { return e.Err }

// HandlerPanic is the error reported for a handler that panicked.
type HandlerPanic struct {
	Value any
}

func (p *HandlerPanic) Error() string { return fmt.Sprintf("longpoll: handler panicked: %v", p.Value) }

// Poller polls one community's Bots Long Poll and hands its events to a
// handler. Run it once; Close stops it.
type Poller struct {
	api *vkapi.Client
	cfg Config
	hc  *http.Client
	log *slog.Logger
	obs Observer

	life *lifecycle.Life

	dedup *window
	ownHC bool // hc is the poller's own: Close drops its idle connections

	// the polling state, owned by Run's goroutine
	group    int64
	server   string
	key      string
	ts       string
	handled  []string            // keys of the events of the answer at ts already handled
	inAnswer map[string]struct{} // the same keys, for lookups
	failures int                 // failures in a row: the backoff's n, and one Warn per streak
	stalls   int                 // a_check requests in a row abandoned at wait + margin
	body     bodybuf.Buffer      // the a_check answers' buffer
}

// maxStalls is how many a_check requests in a row may go unanswered at
// wait + margin before the poller asks for a new key.
const maxStalls = 3

// validTS reports whether ts is a ts a poller may go on from: digits that
// fit in 63 bits (a ts is a counter; anything else is a bad answer).
func validTS(ts string) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	return err == nil && n >= 0
}

// New returns a poller that calls the API through api.
func New(api *vkapi.Client, cfg Config) *Poller {
	if cfg.Store == nil {
		cfg.Store = &MemoryStore{}
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	cfg.Wait = min(cfg.Wait.Truncate(time.Second), MaxWait)
	if cfg.TimeoutMargin <= 0 {
		cfg.TimeoutMargin = DefaultTimeoutMargin
	}
	if cfg.DedupWindow == 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.CooldownMin <= 0 {
		cfg.CooldownMin = DefaultCooldownMin
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	p := &Poller{api: api, cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger, obs: cfg.Observer, group: cfg.GroupID,
		life: lifecycle.New("longpoll")}
	if p.hc == nil {
		p.hc, p.ownHC = httpclient.New(), true
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.obs == nil {
		p.obs = ObserverFuncs{}
	}
	if cfg.DedupWindow > 0 {
		p.dedup = newWindow(cfg.DedupWindow)
	}
	return p
}

// Run polls until ctx ends (returning its error), Close is called (an
// error matching ErrClosed) or groups.getLongPollServer fails for good
// (*ServerError). A Poller runs once: a second Run fails with
// vkapi.ErrAlreadyRunning, a Run after Close with ErrClosed.
func (p *Poller) Run(ctx context.Context) error {
	accept, handle, done, err := p.life.Start(ctx)
	if err != nil {
		return err
	}
	defer done()
	if p.ownHC {
		defer p.hc.CloseIdleConnections()
	}
	d := newDispatcher(accept, handle, p)
	defer d.stop()
	err = p.loop(accept, d)
	if p.life.Stopped() && accept.Err() != nil && ctx.Err() == nil {
		return p.life.Closed()
	}
	return err
}

// Close stops polling, waits for the handlers running to return and for
// Run to end, its workers and connections included. Later calls of Run
// fail with ErrClosed. It is Shutdown without a bound.
func (p *Poller) Close() error { return p.life.Shutdown(context.Background()) }

// Shutdown is Close with the wait bounded by ctx: when ctx ends first, the
// handlers' context is cancelled and Shutdown returns ctx's error; Run
// returns once the handlers honour their context.
func (p *Poller) Shutdown(ctx context.Context) error { return p.life.Shutdown(ctx) }

func (p *Poller) loop(ctx context.Context, d *dispatcher) error {
	if p.group == 0 {
		if err := p.resolveGroup(ctx); err != nil {
			return err
		}
	}
	pos, err := p.cfg.Store.Load(ctx, p.group)
	if err != nil {
		return fmt.Errorf("longpoll: loading the position: %w", err)
	}
	p.moveTo(pos.TS)
	p.markHandled(pos.Handled...)
	lostFrom := "" // after failed 3: the ts whose later events are gone
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p.key == "" {
			if err := p.fetchServer(ctx); err != nil {
				return err
			}
			if p.key == "" {
				continue // backed off or cooled down
			}
			if lostFrom != "" {
				p.gap(ctx, GapLost, lostFrom, p.ts)
				lostFrom = ""
			}
		}
		start := time.Now()
		ans, err := p.check(ctx)
		if err == nil && !validTS(ans.TS) {
			// Never saved: a store holding it could not be loaded again.
			err = &CheckError{Err: &vkerr.FormatError{Reason: "a_check answered a ts that is not a number: " + strconv.Quote(snip([]byte(ans.TS)))}}
		}
		var lp *vkerr.LongPollError
		switch {
		case err == nil:
			p.failures, p.stalls = 0, 0
			p.obs.ObservePoll(ctx, PollEvent{GroupID: p.group, TS: ans.TS, Events: len(ans.Events), Duration: time.Since(start)})
			p.log.Debug("longpoll: poll", "group_id", p.group, "ts", ans.TS, "events", len(ans.Events))
			if !d.deliver(ctx, ans.Events) {
				return ctx.Err() // cut short: the position names the events handled
			}
			if ans.TS != p.ts {
				p.moveTo(ans.TS)
				p.save(context.WithoutCancel(ctx)) // every event of the answer was handled
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &lp):
			switch lp.Failed {
			case 1:
				old := p.ts
				if !validTS(lp.TS) || lp.TS == old {
					// No newer ts to go on from: nothing to do but wait
					// and ask again, as after any failure.
					p.backoff(ctx, "failed_1", err)
					continue
				}
				p.recovery(ctx, "failed_1", "continue with the new ts", 0, err)
				p.moveTo(lp.TS)
				p.gap(ctx, GapOutdated, old, lp.TS)
				p.save(ctx)
			case 2:
				p.renewKey(ctx, "failed_2", "new key, same ts", err)
			case 3:
				p.renewKey(ctx, "failed_3", "new key and ts; the events in between are lost", err)
				lostFrom = p.ts
				p.moveTo("")
			default:
				p.backoff(ctx, "failed_"+strconv.Itoa(lp.Failed), err)
			}
		default:
			failure := "network"
			var ce *CheckError
			if errors.As(err, &ce) && ce.StatusCode != 0 {
				failure = "http_status"
			} else if errors.As(err, new(*vkerr.FormatError)) || errors.As(err, new(*vkerr.HTTPError)) {
				failure = "bad_body"
			}
			if errors.Is(err, context.DeadlineExceeded) {
				// An a_check with no answer at wait + margin: abandoned.
				// A few in a row and the server may have dropped the key.
				failure = "stalled"
				if p.stalls++; p.stalls >= maxStalls {
					p.stalls = 0
					p.key = ""
				}
			}
			p.backoff(ctx, failure, err)
		}
	}
}

// resolveGroup reads the community of the client's token.
func (p *Poller) resolveGroup(ctx context.Context) error {
	for {
		var r struct {
			Groups []struct {
				ID int64 `json:"id"`
			} `json:"groups"`
		}
		err := p.api.Call(ctx, "groups.getById", nil, &r)
		if err == nil && len(r.Groups) > 0 && r.Groups[0].ID > 0 {
			p.group = r.Groups[0].ID
			return nil
		}
		if err == nil {
			err = errors.New("groups.getById named no community")
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if retry.Fatal(err) {
			return &ServerError{Err: fmt.Errorf("finding the token's community: %w", err)}
		}
		p.backoff(ctx, "server_error", err)
	}
}

// moveTo makes ts the poller's ts, with no event of its answer handled
// yet (it does not save).
func (p *Poller) moveTo(ts string) {
	if ts == p.ts {
		return
	}
	p.ts, p.handled = ts, nil
	clear(p.inAnswer) // kept: its room serves the next answer
}

// markHandled adds the events of keys to the position (it does not save).
// p.handled is only appended to, or replaced by moveTo, so a Store may
// keep the slice it was given.
func (p *Poller) markHandled(keys ...string) {
	if p.inAnswer == nil && len(keys) > 0 {
		p.inAnswer = make(map[string]struct{}, len(keys))
	}
	for _, k := range keys {
		n := len(p.inAnswer)
		if p.inAnswer[k] = struct{}{}; len(p.inAnswer) > n { // a new key
			p.handled = append(p.handled, k)
		}
	}
}

func (p *Poller) isHandled(key string) bool {
	_, ok := p.inAnswer[key]
	return ok
}

// save stores the position: the ts and the events of its answer handled.
func (p *Poller) save(ctx context.Context) {
	if p.ts == "" {
		return
	}
	if err := p.cfg.Store.Save(ctx, p.group, Position{TS: p.ts, Handled: p.handled}); err != nil && ctx.Err() == nil {
		p.log.Warn("longpoll: saving the position failed", "group_id", p.group, "err", err)
		p.obs.ObserveRecovery(ctx, RecoveryEvent{GroupID: p.group, Failure: "store", Action: "continue", Err: err})
	}
}

// recovery reports a recovery: to the Observer always, to the log at Warn
// for the first failure of a streak and at Debug for the rest, so a
// failure repeating for an hour is one line, not thousands.
func (p *Poller) recovery(ctx context.Context, failure, action string, delay time.Duration, err error) {
	level := slog.LevelWarn
	if p.failures > 1 {
		level = slog.LevelDebug
	}
	p.log.Log(ctx, level, "longpoll: recovering", "group_id", p.group, "failure", failure, "action", action, "delay", delay,
		"failures_in_a_row", max(p.failures, 1), "err", err)
	p.obs.ObserveRecovery(ctx, RecoveryEvent{GroupID: p.group, Failure: failure, Action: action, Delay: delay, Err: err})
}

// renewKey drops the key after a failed 2 or 3: the next request is
// groups.getLongPollServer, at once the first time, after a backoff when
// the failures come in a row (a server answering failed 2 to every new key
// is not asked in a tight loop).
func (p *Poller) renewKey(ctx context.Context, failure, action string, err error) {
	p.key = ""
	if p.failures == 0 {
		p.failures++
		p.recovery(ctx, failure, action, 0, err)
		return
	}
	p.backoff(ctx, failure, err)
}

// backoff waits after a failure, keeping server, key and ts.
func (p *Poller) backoff(ctx context.Context, failure string, err error) {
	p.failures++
	d := p.cfg.Backoff.delay(p.failures)
	p.recovery(ctx, failure, "back off and retry", d, err)
	_ = retry.Sleep(ctx, d)
}

func (p *Poller) gap(ctx context.Context, kind GapKind, from, to string) {
	g := Gap{GroupID: p.group, Kind: kind, From: from, To: to}
	level := slog.LevelWarn
	if p.failures > 1 {
		level = slog.LevelDebug // one Warn per streak; OnGap and the Observer get every gap
	}
	p.log.Log(ctx, level, "longpoll: events may be missing", "group_id", p.group, "kind", string(kind), "from_ts", from, "to_ts", to)
	p.obs.ObserveGap(ctx, g)
	if p.cfg.OnGap != nil {
		p.cfg.OnGap(g)
	}
}
