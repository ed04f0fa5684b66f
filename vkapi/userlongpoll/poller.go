package userlongpoll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/bodybuf"
	"github.com/vkerr/vkerr/vkapi/internal/httpclient"
	"github.com/vkerr/vkerr/vkapi/internal/lifecycle"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// Handler handles one update.
type Handler interface {
	HandleUpdate(ctx context.Context, u *Update) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, u *Update) error

// HandleUpdate calls f.
func (f HandlerFunc) HandleUpdate(ctx context.Context, u *Update) error { return f(ctx, u) }

// Defaults of Config.
const (
	DefaultWait        = 25 * time.Second
	DefaultMode        = 2 | 8 | 32 | 64 | 128
	DefaultVersion     = 3
	DefaultCooldownMin = 10 * time.Second
	maxAnswerBytes     = 16 << 20
)

// Config configures a Poller. The zero value waits DefaultWait with
// DefaultMode and DefaultVersion, keeps its position in memory and ignores
// every update.
type Config struct {
	Handler Handler
	// Wait is the a_check wait (default 25 s, at most 90 s); the HTTP
	// timeout is Wait plus 10 s.
	Wait time.Duration
	// Mode is the a_check mode (default DefaultMode); 32 (pts) is always
	// added: the recovery needs it.
	Mode int
	// Version is the lp_version and a_check version (default 3); 19 is
	// decoded too.
	Version int
	// BackoffMin and BackoffMax bound the wait after a failure (default
	// 100 ms and 10 s), with full jitter.
	BackoffMin, BackoffMax time.Duration
	// CooldownMin is the least wait after a 29 or 9 from
	// messages.getLongPollServer (default 10 s; longer when the error says).
	CooldownMin time.Duration
	// Store keeps the position between runs (vkapi/longpoll's stores), under
	// UserID; nil is a longpoll.MemoryStore.
	Store longpoll.Store
	// UserID is the key of the position in Store; 0 takes the id of the
	// token's user (users.get).
	UserID int64
	// HTTPClient sends the a_check requests; nil is a client of its own
	// (the proxy from the environment, dial and TLS timeouts).
	HTTPClient *http.Client
	// Logger gets a record per recovery; nil discards. The key never
	// appears in it.
	Logger *slog.Logger
	// Start, when not nil and the store holds no position, is where to
	// resume; nil starts from the server's current ts.
	Start *Position
	// OnResync is called when the history cannot cover a gap (907/908).
	OnResync func(*ResyncError)
	// OnError is called when the handler fails.
	OnError func(u *Update, err error)
}

// Position is a point in the stream: the ts of the next a_check and the
// pts of the next history request.
type Position struct{ TS, PTS int64 }

// ResyncError reports that getLongPollHistory could not return what was
// missed (907, 908): the updates after FromTS (FromPTS) up to ToTS (ToPTS)
// are lost and the application must resynchronise its state in full.
type ResyncError struct {
	FromTS, ToTS   int64
	FromPTS, ToPTS int64
	Err            error
}

func (e *ResyncError) Error() string {
	return fmt.Sprintf("userlongpoll: updates after ts %d (pts %d) up to ts %d (pts %d) are lost, a full resync is needed: %v",
		e.FromTS, e.FromPTS, e.ToTS, e.ToPTS, e.Err)
}

func (e *ResyncError) Unwrap() error { return e.Err }

// ErrClosed is matched by the error of Run after Close, and of a Run after
// Close: it is vkapi.ErrClosed.
var ErrClosed = vkapi.ErrClosed

// Poller runs the User Long Poll loop.
type Poller struct {
	api  *vkapi.Client
	cfg  Config
	hc   *http.Client
	own  bool
	log  *slog.Logger
	life *lifecycle.Life
	bo   retry.Backoff

	// the polling state, owned by Run's goroutine
	server, key, scheme string
	ts, pts             int64
	started             bool            // ts and pts are known
	handled             []string        // the updates of the answer or page at the position already handled
	inAnswer            map[string]bool // the same, for lookups
	failures            int
	// recovering is set from the start of a recovery to its end: the pts
	// may then be past what the ts says, so the loop recovers on rather
	// than poll from the ts (which would hand out updates again). The
	// position records it as the key recoveringKey among Handled.
	recovering bool
	// overlap counts, by key, the updates of the recovery's last history
	// page: the first a_check answer after it skips those it repeats.
	overlap map[string]int
	// serverTS and serverPTS are the last snapshot a recovery took.
	serverTS, serverPTS int64
	// body is the a_check answers' buffer.
	body bodybuf.Buffer
}

// recoveringKey marks, among a position's Handled, a position saved in the
// middle of a recovery.
const recoveringKey = "recovering"

// New returns a Poller for the user of api's token.
func New(api *vkapi.Client, cfg Config) *Poller {
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	cfg.Wait = min(cfg.Wait, 90*time.Second)
	if cfg.Mode == 0 {
		cfg.Mode = DefaultMode
	}
	cfg.Mode |= 32
	if cfg.Version <= 0 {
		cfg.Version = DefaultVersion
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 100 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 10 * time.Second
	}
	if cfg.CooldownMin <= 0 {
		cfg.CooldownMin = DefaultCooldownMin
	}
	if cfg.Store == nil {
		cfg.Store = &longpoll.MemoryStore{}
	}
	p := &Poller{api: api, cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger, life: lifecycle.New("userlongpoll"),
		bo: retry.Backoff{Base: cfg.BackoffMin, Max: cfg.BackoffMax}}
	if p.hc == nil {
		p.hc, p.own = httpclient.New(), true
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.scheme = "https"
	if u, err := url.Parse(api.BaseURL()); err == nil && u.Scheme == "http" {
		p.scheme = "http"
	}
	return p
}

// Close stops polling, waits for the handler running to return and for
// Run to end, its connections closed. Later calls of Run fail with
// ErrClosed. It is Shutdown without a bound.
func (p *Poller) Close() error { return p.life.Shutdown(context.Background()) }

// Shutdown is Close with the wait bounded by ctx: when ctx ends first, the
// handler's context is cancelled and Shutdown returns ctx's error.
func (p *Poller) Shutdown(ctx context.Context) error { return p.life.Shutdown(ctx) }

// Run polls until ctx ends (its error), Close (an error matching
// ErrClosed) or a fatal API error (a dead token...). A Poller runs once: a
// second Run fails with vkapi.ErrAlreadyRunning.
func (p *Poller) Run(ctx context.Context) error {
	accept, handle, done, err := p.life.Start(ctx)
	if err != nil {
		return err
	}
	defer done()
	if p.own {
		defer p.hc.CloseIdleConnections()
	}
	err = p.loop(accept, handle)
	if p.life.Stopped() && accept.Err() != nil && ctx.Err() == nil {
		return p.life.Closed()
	}
	return err
}

func (p *Poller) loop(ctx, handle context.Context) error {
	if err := p.load(ctx); err != nil {
		return err
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p.recovering {
			if err := p.recover(ctx, handle); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if retry.Fatal(err) {
					return err
				}
				p.backoff(ctx, "recovery", err)
			}
			continue
		}
		if p.key == "" {
			if err := p.fetchServer(ctx, false); err != nil {
				if err := p.serverFailed(ctx, err); err != nil {
					return err
				}
				continue
			}
		}
		asked := p.ts
		ans, err := p.check(ctx)
		var lpe *vkerr.LongPollError
		switch {
		case err == nil:
			p.failures = 0
			ups := p.skipOverlap(ans.Updates)
			if !p.deliver(ctx, handle, ups) {
				return ctx.Err()
			}
			pts := p.pts
			if ans.PTS > 0 {
				pts = ans.PTS
			}
			if ans.TS != asked || pts != p.pts {
				p.moveTo(ans.TS, pts)
				p.save(ctx)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &lpe) && lpe.Failed == 2:
			p.log.Info("userlongpoll: key expired, new key, same ts")
			p.key = ""
		case errors.As(err, &lpe) && (lpe.Failed == 1 || lpe.Failed == 3):
			p.log.Warn("userlongpoll: history outdated or lost: recovering with getLongPollHistory", "failed", lpe.Failed, "ts", p.ts, "pts", p.pts)
			p.recovering = true
		case errors.As(err, &lpe) && lpe.Failed == 4 && lpe.MaxVersion > 0:
			v := max(lpe.MinVersion, min(p.cfg.Version, lpe.MaxVersion))
			if v == p.cfg.Version {
				v = lpe.MaxVersion
			}
			if v == p.cfg.Version {
				p.backoff(ctx, "a_check version", err) // in range, says the server: wait
				continue
			}
			p.log.Warn("userlongpoll: version out of range, switching", "from", p.cfg.Version, "to", v)
			p.cfg.Version = v
		default:
			p.backoff(ctx, "a_check", err)
		}
	}
}

// skipOverlap drops the leading updates of an a_check answer that the
// recovery before it handled from the history; the overlap ends at the
// first answer with updates.
func (p *Poller) skipOverlap(ups []Update) []Update {
	if p.overlap == nil || len(ups) == 0 {
		return ups
	}
	n := 0
	for n < len(ups) && p.overlap[ups[n].key()] > 0 {
		p.overlap[ups[n].key()]--
		n++
	}
	if n > 0 {
		p.log.Debug("userlongpoll: skipping updates the history gave", "updates", n)
	}
	p.overlap = nil
	return ups[n:]
}

// load reads the saved position (or Config.Start).
func (p *Poller) load(ctx context.Context) error {
	if p.cfg.UserID == 0 {
		var us []struct {
			ID int64 `json:"id"`
		}
		for {
			err := p.api.Call(ctx, "users.get", nil, &us)
			if err == nil && len(us) == 1 && us[0].ID > 0 {
				p.cfg.UserID = us[0].ID
				break
			}
			if err == nil {
				err = errors.New("userlongpoll: users.get named no user")
			}
			if ctx.Err() != nil || retry.Fatal(err) {
				return err
			}
			p.backoff(ctx, "users.get", err)
		}
	}
	pos, err := p.cfg.Store.Load(ctx, p.cfg.UserID)
	if err != nil {
		return fmt.Errorf("userlongpoll: loading the position: %w", err)
	}
	if pos.TS != "" {
		ts, err := strconv.ParseInt(pos.TS, 10, 64)
		if err != nil || ts < 0 || pos.PTS < 0 {
			return fmt.Errorf("userlongpoll: the stored position %q/%d is not a ts and pts: delete it from the store to start from the server's position", pos.TS, pos.PTS)
		}
		p.ts, p.pts, p.started = ts, pos.PTS, true
		p.mark(pos.Handled...)
		p.recovering = p.inAnswer[recoveringKey]
	} else if p.cfg.Start != nil {
		p.ts, p.pts, p.started = p.cfg.Start.TS, p.cfg.Start.PTS, true
	}
	return nil
}

// serverFailed handles a failed messages.getLongPollServer: a cooldown
// for 29 and 9, the end of Run for an error that needs a person, a
// backoff otherwise.
func (p *Poller) serverFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var cd *vkapi.CooldownError
	if errors.As(err, &cd) {
		wait := max(time.Until(cd.Until), p.cfg.CooldownMin)
		p.log.Warn("userlongpoll: cooling down before getting a server again", "wait", wait, "err", vkerr.RedactString(err.Error()))
		_ = retry.Sleep(ctx, wait)
		return nil
	}
	if retry.Fatal(err) {
		return err
	}
	p.backoff(ctx, "getLongPollServer", err)
	return nil
}

// backoff waits after the failures-th failure in a row; the first of a
// streak is logged at Warn, the rest at Debug.
func (p *Poller) backoff(ctx context.Context, what string, err error) {
	p.failures++
	d := p.bo.Delay(p.failures)
	level := slog.LevelDebug
	if p.failures == 1 {
		level = slog.LevelWarn
	}
	p.log.Log(ctx, level, "userlongpoll: retrying", "after", what, "failures", p.failures, "wait", d, "err", vkerr.RedactString(err.Error()))
	_ = retry.Sleep(ctx, d)
}

// fetchServer gets a key and server, and the first time the ts and pts to
// start from; with takeTS, the server's ts and pts go to serverTS and
// serverPTS instead (a recovery's snapshot).
func (p *Poller) fetchServer(ctx context.Context, takeTS bool) error {
	var r struct {
		Key    string          `json:"key"`
		Server string          `json:"server"`
		TS     json.RawMessage `json:"ts"`
		PTS    json.RawMessage `json:"pts"`
	}
	if err := p.api.Call(ctx, "messages.getLongPollServer", vkapi.Params{"lp_version": p.cfg.Version, "need_pts": 1}, &r); err != nil {
		return err
	}
	ts, ok1 := number(r.TS)
	pts, ok2 := number(r.PTS)
	if r.Key == "" || r.Server == "" || !ok1 || !ok2 {
		return &vkerr.FormatError{Reason: "messages.getLongPollServer answered without key, server, ts or pts"}
	}
	p.key, p.server = r.Key, r.Server
	if takeTS {
		p.serverTS, p.serverPTS = ts, pts
	} else if !p.started {
		p.moveTo(ts, pts)
		p.started = true
		p.save(ctx)
	}
	return nil
}

// moveTo makes (ts, pts) the position, with nothing of its answer handled.
func (p *Poller) moveTo(ts, pts int64) {
	p.ts, p.pts, p.handled, p.inAnswer = ts, pts, nil, nil
}

// mark adds keys to the updates of the position handled.
func (p *Poller) mark(keys ...string) {
	if p.inAnswer == nil {
		p.inAnswer = map[string]bool{}
	}
	for _, k := range keys {
		if !p.inAnswer[k] {
			p.inAnswer[k] = true
			p.handled = append(p.handled, k)
		}
	}
}

// save stores the position; a failure is logged, the loop goes on.
func (p *Poller) save(ctx context.Context) {
	pos := longpoll.Position{TS: strconv.FormatInt(p.ts, 10), PTS: p.pts, Handled: p.handled}
	if err := p.cfg.Store.Save(context.WithoutCancel(ctx), p.cfg.UserID, pos); err != nil {
		p.log.Warn("userlongpoll: saving the position failed", "err", err)
	}
}

// deliver hands ups to the handler in order, skipping those the position
// names as handled (handledKey), and saves the position after each. It
// reports false when ctx ended before every update was handled.
func (p *Poller) deliver(ctx, handle context.Context, ups []Update) bool {
	seen := map[string]int{}
	for i := range ups {
		key := handledKey(&ups[i], seen)
		if p.inAnswer[key] {
			continue
		}
		if ctx.Err() != nil {
			return false
		}
		if p.cfg.Handler != nil {
			if err := p.call(handle, &ups[i]); err != nil {
				if handle.Err() != nil {
					// Cut short by the end of the handlers' context (a
					// shutdown): not recorded, so a resumed poller hands
					// it again. Never record what could still be lost.
					return false
				}
				p.log.Error("userlongpoll: handler failed", "code", ups[i].Code, "err", err)
				if p.cfg.OnError != nil {
					p.cfg.OnError(&ups[i], err)
				}
			}
		}
		p.mark(key)
		p.save(ctx)
	}
	return true
}

// handledKey names an update among those of its answer or history page
// by what it is (Update.key, hashed, and its occurrence among equal
// ones), not by its index: a position saved in the middle of an a_check
// answer stays right when, after a restart, the same updates come back as
// a history page, which leaves out typing and presence and so shifts the
// indexes.
func handledKey(u *Update, seen map[string]int) string {
	k := u.key()
	seen[k]++
	h := fnv.New64a()
	_, _ = h.Write([]byte(k))
	return "u" + strconv.FormatUint(h.Sum64(), 36) + "." + strconv.Itoa(seen[k])
}

func (p *Poller) call(ctx context.Context, u *Update) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("userlongpoll: handler panicked: %v", v)
		}
	}()
	return p.cfg.Handler.HandleUpdate(ctx, u)
}
