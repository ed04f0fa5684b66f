package vkmock

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/callback"
	"github.com/vkerr/vkerr/vkmock/internal/challenges"
	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
	"github.com/vkerr/vkerr/vkmock/internal/methods"
	"github.com/vkerr/vkerr/vkmock/internal/ratelimit"
	"github.com/vkerr/vkerr/vkmock/internal/reqlog"
	"github.com/vkerr/vkerr/vkmock/internal/uploads"
	"github.com/vkerr/vkerr/vkmock/internal/userlp"
	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// Version is the vkmock version, sent in the Vkmock-Version header.
const Version = "0.1.0"

// Defaults of the limits on a request.
const (
	DefaultMaxBodyBytes   = 8 << 20
	DefaultMaxParams      = 1000
	DefaultRequestLogSize = 10000
)

// Server is the mock: an http.Handler for /method/NAME and the control API
// under /__vkmock/, with the same controls as Go methods. It is safe for
// concurrent use.
type Server struct {
	control    control.Routes // the control API, by path
	schema     *methods.Table // the methods room's table
	seed       int64
	logger     *slog.Logger
	clk        *core.Clock      // the mock's clock: WithClock's, moved by Clock().Set and Advance
	nowFn      func() time.Time // s.now, made once
	maxBody    int64
	maxParams  int
	httpsOnly  atomic.Bool
	rateLimits atomic.Bool
	useTLS     bool
	limits     Limits
	timeouts   Timeouts
	initial    Config // what Reset goes back to

	mu         sync.RWMutex // tokens, apps
	tokens     map[string]Token
	tokenOrder []string
	preloaded  []string
	tokenSeq   uint64
	apps       map[int64]App

	world *world.Room      // users, communities, posts, messages (room_world.go)
	chal  *challenges.Room // captcha, validation, confirmation, flood, quota (room_challenges.go)
	procs procedures

	faults faults.Set

	limiter   ratelimit.Limiter
	log       reqlog.Log
	lp        *longpoll.Room          // Bots Long Poll and the world's events (room_longpoll.go)
	uploads   *uploads.Room           // upload servers: key, pending and stored uploads (room_uploads.go)
	cb        callback.Sender         // the Callback API sender (callback*.go)
	cbMethods map[string]core.Handler // its groups.*Callback* methods (callback_api.go)
	ulp       *userlp.Room            // User Long Poll (room_userlp.go)
	oauth     oauthState              // the OAuth room (oauth.go)
	stream    streamState             // the Streaming API (streaming.go)
	methods   *methods.Room           // the schema's methods: validation, synthesised answers (room_methods.go)

	run lifetime // the listener of Start or Serve, and Close (lifecycle.go)
}

// MustNew is New that panics when the schema or the configuration cannot
// be used, for tests and programs whose options are fixed.
func MustNew(opts ...Option) *Server {
	s, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// New returns a server, or the error of a schema directory or a
// configuration that cannot be used.
func New(opts ...Option) (*Server, error) {
	o := options{seed: 1, rateLimits: true, maxBody: DefaultMaxBodyBytes, maxParams: DefaultMaxParams}
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	o.limits = o.limits.withDefaults()
	o.timeouts = o.timeouts.withDefaults()
	room, err := loadMethods(o.schemaDir, o.seed)
	if err != nil {
		return nil, err
	}
	if o.clock == nil {
		o.clock = time.Now
	}
	o.maxBody = core.PositiveOr(o.maxBody, DefaultMaxBodyBytes)
	o.maxParams = core.PositiveOr(o.maxParams, DefaultMaxParams)
	s := &Server{
		schema:    room.Table(),
		methods:   room,
		seed:      o.seed,
		logger:    o.logger,
		clk:       core.NewClock(o.clock),
		maxBody:   o.maxBody,
		maxParams: o.maxParams,
		limits:    o.limits,
		timeouts:  o.timeouts,
		useTLS:    o.tls,
	}
	s.nowFn = s.now
	s.initChallenges()
	s.run.init()
	s.uploads = newUploadRoom(s)
	s.cb.Init(s.now, s.clk.Moved, o.seed, "vkmock-callback/"+Version)
	s.lp = s.newLongPoll()
	s.ulp = s.newUserLP()
	s.faults.Init(o.seed, o.timeouts.maxFaultLatency())
	s.control = s.controlRoutes()
	maps.Copy(s.control, s.longPollRoutes())
	maps.Copy(s.control, s.callbackRoutes())
	maps.Copy(s.control, s.userLPRoutes())
	maps.Copy(s.control, s.oauthRoutes())
	maps.Copy(s.control, s.streamingRoutes())
	s.httpsOnly.Store(o.httpsOnly)
	s.rateLimits.Store(o.rateLimits)
	s.log.Init(o.limits.RequestLogSize, o.limits.RequestLogBytes)
	s.world = s.newWorld(o.limits)
	s.cbMethods = s.callbackMethods()
	s.procs.limits = o.limits
	if o.config != nil {
		s.initial = *o.config
	}
	if err := s.applyInitial(); err != nil {
		return nil, err
	}
	return s, nil
}

// applyInitial sets the tokens, apps and faults to the initial state:
// the preloaded ones and those of the configuration.
func (s *Server) applyInitial() error {
	s.mu.Lock()
	s.tokens = map[string]Token{}
	s.tokenOrder = nil
	s.preloaded = nil
	s.tokenSeq = 0
	s.apps = map[int64]App{DefaultAppID: {ID: DefaultAppID}}
	for _, t := range defaultTokens(s.seed) {
		s.tokens[t.Token] = t
		s.tokenOrder = append(s.tokenOrder, t.Token)
		s.preloaded = append(s.preloaded, t.Token)
	}
	var err error
	for _, a := range s.initial.Apps {
		if a.ID <= 0 || a.Installs < 0 {
			err = fmt.Errorf("vkmock: config: app %d: id must be positive and installs not negative", a.ID)
			break
		}
		s.apps[a.ID] = a
	}
	for _, t := range s.initial.Tokens {
		if err != nil {
			break
		}
		if _, err = s.createTokenLocked(t); err != nil {
			err = fmt.Errorf("vkmock: config: %w", err)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.clk.Reset()
	if err := s.world.Reset(s.initial.World); err != nil {
		return fmt.Errorf("vkmock: config: %w", err)
	}
	s.chal.Reset()
	if err := s.procs.reset(s.initial.Procedures); err != nil {
		return fmt.Errorf("vkmock: config: %w", err)
	}
	var ch Challenges
	if s.initial.Challenges != nil {
		ch = *s.initial.Challenges
	}
	if err := s.Challenges().Set(ch); err != nil {
		return fmt.Errorf("vkmock: config: %w", err)
	}
	s.faults.Reset()
	for _, f := range s.initial.Faults {
		f, err := s.validateFault(f)
		if err == nil {
			_, err = s.faults.Add(f)
		}
		if err != nil {
			return fmt.Errorf("vkmock: config: %w", err)
		}
	}
	return nil
}

// SetHTTPSOnly changes the HTTPS-only setting.
func (s *Server) SetHTTPSOnly(on bool) { s.httpsOnly.Store(on) }

// SetRateLimits turns the rate limits on or off.
func (s *Server) SetRateLimits(on bool) { s.rateLimits.Store(on) }

// Seed returns the server's seed.
func (s *Server) Seed() int64 { return s.seed }

// Reset brings the server back to its state right after New: the
// preloaded and configured tokens (created ones are dropped, states and
// challenges restored), apps, faults, challenge rules, procedures and the
// world (messages, posts and edits forgotten); the clock's offset goes
// back to zero; captchas, validations, rate windows and the request log
// are cleared.
func (s *Server) Reset() {
	// The initial configuration was valid when New accepted it.
	_ = s.applyInitial()
	s.limiter.Reset()
	s.log.Reset()
	s.lp.Reset()
	s.uploads.Reset()
	s.cb.Reset()
	s.ulp.Reset()
	s.resetOAuth()
	s.stream.reset(s)
}

// ServeHTTP serves /method/NAME, the control API under /__vkmock/, and 404
// for anything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vkmock-Version", Version)
	if !s.run.enter() {
		s.serveClosed(w, r)
		return
	}
	defer s.run.leave()
	if strings.HasPrefix(r.URL.Path, "/lp/") || strings.HasPrefix(r.URL.Path, "/im/") {
		// Long Poll holds end on Close too, even when s is mounted on a
		// server it did not start (fault delays use s.sleep).
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(s.run.ctx, cancel)()
		r = r.WithContext(ctx)
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/method/"):
		s.serveMethod(w, r)
	case strings.HasPrefix(r.URL.Path, "/__vkmock/") || r.URL.Path == "/__vkmock":
		s.control.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/lp/wh"):
		s.serveLongPoll(w, r)
	case strings.HasPrefix(r.URL.Path, "/im/u"):
		s.serveUserLongPoll(w, r)
	case challenges.IsPath(r.URL.Path):
		s.chal.ServeHTTP(w, r) // /captcha.php, /not_robot_captcha, /validate
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		s.uploads.ServeHTTP(w, r)
	case isOAuthPath(r.URL.Path):
		s.serveOAuth(w, r)
	case strings.HasPrefix(r.URL.Path, "/streaming/"):
		s.serveStreaming(w, r)
	default:
		core.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not found: VK methods are under /method/, the control API under /__vkmock/"})
	}
}

// serveClosed answers a request that comes after Close: error 10 for a
// method, 503 for anything else.
func (s *Server) serveClosed(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/method/") {
		s.writeError(w, s.withSuffix(vkerr.Server, "the mock is closed"), false)
		return
	}
	core.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": ErrClosed.Error()})
}
