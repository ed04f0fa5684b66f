// Package userlongpoll is a User Long Poll client (a user token's
// messages.getLongPollServer) that loses nothing: after a {"failed":1} or
// {"failed":3} it fetches what it missed with messages.getLongPollHistory
// before it goes on.
//
//	c := vkapi.New(userToken)
//	p := userlongpoll.New(c, userlongpoll.Config{Handler: userlongpoll.HandlerFunc(func(ctx context.Context, u *userlongpoll.Update) error { ... })})
//	err := p.Run(ctx)
//
// # Recovery
//
//   - failed 1 or 3: a new key and ts from messages.getLongPollServer, and
//     the updates between the last handled ts and the new one from
//     messages.getLongPollHistory(ts, pts), handled in order; a ts counts
//     updates, as VK's does, so exactly those are taken. When the history
//     answers 907 or 908 (too old, too new), a full resync is needed:
//     OnResync gets a *ResyncError and the client goes on from the new ts.
//   - failed 2: a new key, the same ts: nothing is lost.
//   - failed 4: the version is out of range; the client takes the highest
//     the server supports and asks again.
//   - network errors, HTTP statuses other than 200, bodies that are not an
//     answer: server, key and ts are kept; a backoff with jitter; retry.
//
// The a_check goes to the scheme of the API client's base URL (VK's
// server comes without one). Handler errors are reported (OnError, the
// log) and the loop goes on.
package userlongpoll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
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
	DefaultWait    = 25 * time.Second
	DefaultMode    = 2 | 8 | 32 | 64 | 128
	DefaultVersion = 3
	maxAnswerBytes = 16 << 20
)

// Config configures a Poller. The zero value waits DefaultWait with
// DefaultMode and DefaultVersion and ignores every update.
type Config struct {
	Handler Handler
	// Wait is the a_check wait (default 25 s, at most 90 s); the HTTP
	// timeout is Wait plus 10 s.
	Wait time.Duration
	// Mode is the a_check mode (default DefaultMode); 32 (pts) is always
	// added: the recovery needs it.
	Mode int
	// Version is the lp_version and a_check version (default 3).
	Version int
	// BackoffMin and BackoffMax bound the wait after a failure (default
	// 100 ms and 10 s), with full jitter.
	BackoffMin, BackoffMax time.Duration
	// HTTPClient sends the a_check requests; nil is a client of its own.
	HTTPClient *http.Client
	// Logger gets a record per recovery; nil discards. The key never
	// appears in it.
	Logger *slog.Logger
	// Start, when not nil, is where to resume (a ts and pts saved from an
	// earlier run); nil starts from the server's current ts. Updates
	// between Start and the current ts come from the first a_check, or
	// through getLongPollHistory when the server answers failed 1.
	Start *Position
	// OnResync is called when the history cannot cover a gap (907/908).
	OnResync func(*ResyncError)
	// OnError is called when the handler fails.
	OnError func(u *Update, err error)
}

// Position is a point in the stream: Poller.Position returns it.
type Position struct{ TS, PTS int64 }

// ResyncError reports that getLongPollHistory could not return what was
// missed: the application must resynchronise its state in full.
type ResyncError struct {
	FromTS, ToTS int64
	Err          error
}

func (e *ResyncError) Error() string {
	return fmt.Sprintf("userlongpoll: updates after ts %d up to %d are lost, a full resync is needed: %v", e.FromTS, e.ToTS, e.Err)
}

func (e *ResyncError) Unwrap() error { return e.Err }

// ErrClosed is the error of Run after Close.
var ErrClosed = errors.New("userlongpoll: poller closed")

// Poller runs the User Long Poll loop.
type Poller struct {
	api *vkapi.Client
	cfg Config
	hc  *http.Client
	own bool
	log *slog.Logger

	server, key, scheme string
	ts, pts             int64
	started             bool // ts and pts are known

	mu     sync.Mutex
	cancel context.CancelFunc
	closed bool
}

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
	p := &Poller{api: api, cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger}
	if p.hc == nil {
		p.hc, p.own = &http.Client{Transport: &http.Transport{IdleConnTimeout: time.Minute}}, true
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Start != nil {
		p.ts, p.pts, p.started = cfg.Start.TS, cfg.Start.PTS, true
	}
	p.scheme = "https"
	if u, err := url.Parse(api.BaseURL()); err == nil && u.Scheme == "http" {
		p.scheme = "http"
	}
	return p
}

// Close stops Run and releases the poller's connections.
func (p *Poller) Close() error {
	p.mu.Lock()
	p.closed = true
	if p.cancel != nil {
		p.cancel()
	}
	p.mu.Unlock()
	if p.own {
		p.hc.CloseIdleConnections()
	}
	return nil
}

// Run polls until ctx ends (its error), Close (ErrClosed) or a fatal API
// error (a dead token...).
func (p *Poller) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.mu.Unlock()
	failures := 0
	for {
		if ctx.Err() != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return ErrClosed
			}
			return ctx.Err()
		}
		if p.key == "" {
			if err := p.fetchServer(ctx, false); err != nil {
				if fatal(err) {
					return err
				}
				failures++
				p.backoff(ctx, failures, "getLongPollServer", err)
				continue
			}
		}
		ans, err := p.check(ctx)
		var lpe *vkerr.LongPollError
		switch {
		case err == nil:
			failures = 0
			p.deliver(ctx, ans.Updates)
			p.ts = ans.TS
			if ans.PTS > 0 {
				p.pts = ans.PTS
			}
		case errors.As(err, &lpe) && lpe.Failed == 2:
			p.log.Info("userlongpoll: key expired, new key, same ts")
			p.key = ""
		case errors.As(err, &lpe) && (lpe.Failed == 1 || lpe.Failed == 3):
			p.log.Warn("userlongpoll: history outdated or lost: recovering with getLongPollHistory", "failed", lpe.Failed, "ts", p.ts)
			if err := p.recover(ctx); err != nil {
				if fatal(err) {
					return err
				}
				failures++
				p.backoff(ctx, failures, "recovery", err)
			}
		case errors.As(err, &lpe) && lpe.Failed == 4:
			v := max(lpe.MinVersion, min(p.cfg.Version, lpe.MaxVersion))
			if v == p.cfg.Version {
				v = lpe.MaxVersion
			}
			p.log.Warn("userlongpoll: version out of range, switching", "from", p.cfg.Version, "to", v)
			p.cfg.Version = v
		default:
			if ctx.Err() != nil {
				continue
			}
			failures++
			p.backoff(ctx, failures, "a_check", err)
		}
	}
}

func fatal(err error) bool {
	var ve *vkerr.Error
	if errors.As(err, &ve) {
		switch ve.Code {
		case vkerr.Auth, vkerr.Method, vkerr.Permission, vkerr.Access, vkerr.UserDeleted:
			return true
		}
	}
	return false
}

func (p *Poller) backoff(ctx context.Context, n int, what string, err error) {
	d := p.cfg.BackoffMin << min(n-1, 16)
	d = min(d, p.cfg.BackoffMax)
	d = rand.N(d) + 1
	p.log.Info("userlongpoll: retrying", "after", what, "wait", d, "err", vkerr.RedactString(err.Error()))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// fetchServer gets a key and server; ts and pts too the first time or
// with takeTS (otherwise they are kept: failed 2).
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
		return errors.New("userlongpoll: messages.getLongPollServer answered without key, server, ts or pts")
	}
	p.key, p.server = r.Key, r.Server
	if !p.started || takeTS {
		p.ts, p.pts, p.started = ts, pts, true
	}
	return nil
}

// recover takes a new key and ts and handles the updates between the old
// ts and the new one from getLongPollHistory.
func (p *Poller) recover(ctx context.Context) error {
	oldTS, oldPTS := p.ts, p.pts
	if err := p.fetchServer(ctx, true); err != nil {
		p.ts, p.pts = oldTS, oldPTS
		p.key = ""
		return err
	}
	newTS, newPTS := p.ts, p.pts
	if newTS <= oldTS {
		return nil
	}
	var h struct {
		History []json.RawMessage `json:"history"`
	}
	err := p.api.Call(ctx, "messages.getLongPollHistory", vkapi.Params{"ts": oldTS, "pts": oldPTS, "lp_version": p.cfg.Version}, &h)
	var ve *vkerr.Error
	if errors.As(err, &ve) && (ve.Code == vkerr.MessagesTooOldPts || ve.Code == vkerr.MessagesTooNewPts) {
		re := &ResyncError{FromTS: oldTS, ToTS: newTS, Err: err}
		p.log.Error("userlongpoll: a full resync is needed", "from_ts", oldTS, "to_ts", newTS, "err", err)
		if p.cfg.OnResync != nil {
			p.cfg.OnResync(re)
		}
		return nil
	}
	if err != nil {
		p.ts, p.pts = oldTS, oldPTS // try again from the same place
		p.key = ""
		return err
	}
	// The history may reach past newTS (updates that came since): those
	// come from the next a_check, so only newTS-oldTS are taken here.
	n := min(int64(len(h.History)), newTS-oldTS)
	ups := make([]Update, 0, n)
	for _, raw := range h.History[:n] {
		var fields []json.RawMessage
		var u Update
		if json.Unmarshal(raw, &fields) == nil && len(fields) > 0 {
			_ = json.Unmarshal(fields[0], &u.Code)
		}
		u.Fields = fields
		ups = append(ups, u)
	}
	p.deliver(ctx, ups)
	p.ts, p.pts = newTS, newPTS
	return nil
}

func (p *Poller) deliver(ctx context.Context, ups []Update) {
	for i := range ups {
		if p.cfg.Handler == nil {
			continue
		}
		if err := p.call(ctx, &ups[i]); err != nil {
			p.log.Error("userlongpoll: handler failed", "code", ups[i].Code, "err", err)
			if p.cfg.OnError != nil {
				p.cfg.OnError(&ups[i], err)
			}
		}
	}
}

func (p *Poller) call(ctx context.Context, u *Update) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("userlongpoll: handler panicked: %v", v)
		}
	}()
	return p.cfg.Handler.HandleUpdate(ctx, u)
}

func (p *Poller) check(ctx context.Context) (*Answer, error) {
	server := p.server
	if !strings.Contains(server, "://") {
		server = p.scheme + "://" + server
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		p.key = ""
		return nil, errors.New("userlongpoll: the server is not an http(s) address")
	}
	q := u.Query()
	q.Set("act", "a_check")
	q.Set("key", p.key)
	q.Set("ts", strconv.FormatInt(p.ts, 10))
	q.Set("wait", strconv.Itoa(int(p.cfg.Wait/time.Second)))
	q.Set("mode", strconv.Itoa(p.cfg.Mode))
	q.Set("version", strconv.Itoa(p.cfg.Version))
	u.RawQuery = q.Encode()
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Wait+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("userlongpoll: bad request")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the key
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode}
	}
	if len(body) > maxAnswerBytes {
		return nil, errors.New("userlongpoll: answer larger than the limit")
	}
	return Decode(body)
}
