package vkmock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vkerr/vkerr"
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
	control    map[string]route // the control API, by path
	schema     *schemaTable
	seed       int64
	logger     *slog.Logger
	clock      func() time.Time
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
	tokenChal  map[string]vkerr.Code // challenges raised on tokens

	clockOffset atomic.Int64 // ns added to clock: SetNow, Advance
	world       world
	chal        challengeState
	flows       flowState
	confirms    confirmations
	procs       procedures

	faultMu  sync.Mutex // serialises writers of faults
	faults   atomic.Pointer[[]*faultRule]
	faultSeq uint64

	limiter limiter
	log     requestLog
	lp      lpState     // Bots Long Poll and the world's events (longpoll*.go)
	uploads uploadState // upload servers: key, pending and stored uploads
	cb      cbState     // the Callback API sender (callback*.go)
	ulp     ulpState    // User Long Poll (userlp.go)
	cache   respCache

	rngMu sync.Mutex
	rng   *rand.Rand

	run lifetime // the listener of Start or Serve, and Close (lifecycle.go)
}

// Option configures a Server.
type Option func(*options)

type options struct {
	seed       int64
	schemaDir  string
	httpsOnly  bool
	logger     *slog.Logger
	clock      func() time.Time
	rateLimits bool
	tls        bool
	maxBody    int64
	maxParams  int
	limits     Limits
	timeouts   Timeouts
	config     *Config
	err        error // of a configuration's values
}

// WithSeed sets the seed of tokens and synthesised answers (default 1).
func WithSeed(seed int64) Option { return func(o *options) { o.seed = seed } }

// WithSchemaDir loads the schema from a directory of VKCOM/vk-api-schema at
// run time instead of the embedded table. New panics if it cannot be loaded;
// use NewE to get the error.
func WithSchemaDir(dir string) Option { return func(o *options) { o.schemaDir = dir } }

// WithHTTPSOnly makes the server answer 16 to requests that come over plain
// HTTP with a token.
func WithHTTPSOnly(on bool) Option { return func(o *options) { o.httpsOnly = on } }

// WithLogger logs one line per VK request (never a secret) to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the clock of rate windows and the request log.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithRateLimits turns the per-token rate limits (error 6) on or off
// (default on).
func WithRateLimits(on bool) Option { return func(o *options) { o.rateLimits = on } }

// WithTLS makes Start serve HTTPS with a fresh self-signed certificate when
// it is given none; the client of HTTPClient trusts it.
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithMaxBodyBytes bounds request bodies (default 8 MiB); larger ones get
// error 8.
func WithMaxBodyBytes(n int64) Option { return func(o *options) { o.maxBody = n } }

// WithMaxParams bounds the number of parameters (default 1000); more get
// error 8.
func WithMaxParams(n int) Option { return func(o *options) { o.maxParams = n } }

// WithRequestLogSize bounds the request log (default 10000 records; the
// oldest are dropped).
func WithRequestLogSize(n int) Option { return func(o *options) { o.limits.RequestLogSize = n } }

// WithLimits bounds the stores of the mock (see Limits); its zero fields
// leave the earlier settings (or the defaults) alone.
func WithLimits(l Limits) Option {
	return func(o *options) {
		if err := l.validate(); err != nil {
			o.err = err
		}
		o.limits = o.limits.over(l)
	}
}

// WithTimeouts bounds the connections of a server started by Serve or
// Start (see Timeouts); its zero fields leave the earlier settings (or
// the defaults) alone.
func WithTimeouts(t Timeouts) Option {
	return func(o *options) {
		if t.Read < 0 || t.Write < 0 || t.Idle < 0 || t.MaxHeaderBytes < 0 {
			o.err = errors.New("vkmock: timeouts must not be negative (0 means the default)")
		}
		o.timeouts = o.timeouts.over(t)
	}
}

// WithConfig applies a configuration (tokens, apps, faults, settings); the
// options given after it override its settings.
func WithConfig(c *Config) Option {
	return func(o *options) {
		o.config = c
		if c == nil {
			return
		}
		if c.Seed != nil {
			o.seed = *c.Seed
		}
		if c.HTTPSOnly {
			o.httpsOnly = true
		}
		if c.RateLimits != nil {
			o.rateLimits = *c.RateLimits
		}
		if c.MaxBodyBytes > 0 {
			o.maxBody = c.MaxBodyBytes
		}
		if c.MaxParams > 0 {
			o.maxParams = c.MaxParams
		}
		if c.RequestLogSize > 0 {
			o.limits.RequestLogSize = c.RequestLogSize
		}
		if c.Limits != nil {
			if err := c.Limits.validate(); err != nil {
				o.err = fmt.Errorf("vkmock: config: %w", err)
			}
			o.limits = o.limits.over(*c.Limits)
		}
		if c.Timeouts != nil {
			t, err := c.Timeouts.timeouts()
			if err != nil {
				o.err = err
			}
			o.timeouts = o.timeouts.over(t)
		}
	}
}

var (
	embeddedOnce  sync.Once
	embeddedTable *schemaTable
	embeddedErr   error
)

// New returns a server. It panics only if the schema cannot be loaded (a
// bad WithSchemaDir or configuration); NewE returns that error instead.
func New(opts ...Option) *Server {
	s, err := NewE(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// NewE is New that returns an error for a schema directory or a
// configuration that cannot be used.
func NewE(opts ...Option) (*Server, error) {
	o := options{seed: 1, rateLimits: true, maxBody: DefaultMaxBodyBytes, maxParams: DefaultMaxParams}
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	o.limits = o.limits.withDefaults()
	o.timeouts = o.timeouts.withDefaults()
	var table *schemaTable
	var err error
	if o.schemaDir != "" {
		table, err = loadSchemaDir(o.schemaDir)
	} else {
		embeddedOnce.Do(func() { embeddedTable, embeddedErr = loadEmbedded() })
		table, err = embeddedTable, embeddedErr
	}
	if err != nil {
		return nil, err
	}
	if o.clock == nil {
		o.clock = time.Now
	}
	if o.maxBody <= 0 {
		o.maxBody = DefaultMaxBodyBytes
	}
	if o.maxParams <= 0 {
		o.maxParams = DefaultMaxParams
	}
	s := &Server{
		schema:    table,
		seed:      o.seed,
		logger:    o.logger,
		clock:     o.clock,
		maxBody:   o.maxBody,
		maxParams: o.maxParams,
		limits:    o.limits,
		timeouts:  o.timeouts,
		useTLS:    o.tls,
		rng:       rand.New(rand.NewPCG(uint64(o.seed), 0x5eed)),
	}
	s.nowFn = s.now
	s.run.init()
	s.control = s.controlRoutes()
	maps.Copy(s.control, s.longPollRoutes())
	maps.Copy(s.control, s.callbackRoutes())
	maps.Copy(s.control, s.userLPRoutes())
	s.httpsOnly.Store(o.httpsOnly)
	s.rateLimits.Store(o.rateLimits)
	s.log.init(o.limits.RequestLogSize, o.limits.RequestLogBytes)
	s.world.limits = o.limits
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
	s.tokenChal = map[string]vkerr.Code{}
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
	s.clockOffset.Store(0)
	if err := s.world.reset(s.seed, s.now().Unix(), s.initial.World); err != nil {
		return fmt.Errorf("vkmock: config: %w", err)
	}
	s.flows.reset()
	s.confirms.reset()
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
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	empty := []*faultRule{}
	s.faults.Store(&empty)
	s.faultSeq = 0
	for _, f := range s.initial.Faults {
		f, err := s.validateFault(f)
		if err == nil {
			_, err = s.addFaultLocked(f)
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

// SchemaVersion returns the version of the schema the server uses.
func (s *Server) SchemaVersion() string { return s.schema.version }

// Methods returns the names of the methods the server knows, in schema
// order.
func (s *Server) Methods() []string {
	out := make([]string, len(s.schema.ordered))
	for i, m := range s.schema.ordered {
		out[i] = m.name
	}
	return out
}

// Reset brings the server back to its state right after New: the
// preloaded and configured tokens (created ones are dropped, states and
// challenges restored), apps, faults, challenge rules, procedures and the
// world (messages, posts and edits forgotten); the clock's offset goes
// back to zero; captchas, validations, rate windows and the request log
// are cleared.
func (s *Server) Reset() {
	// The initial configuration was valid when New accepted it.
	_ = s.applyInitial()
	s.limiter.reset()
	s.log.reset()
	s.lp.reset()
	s.uploads.reset()
	s.cb.reset()
	s.ulp.reset()
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
	// Waits (Long Poll, fault delays) end on Close too, even when s is
	// mounted on a server it did not start.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.run.ctx, cancel)()
	r = r.WithContext(ctx)
	switch {
	case strings.HasPrefix(r.URL.Path, "/method/"):
		s.serveMethod(w, r)
	case strings.HasPrefix(r.URL.Path, "/__vkmock/") || r.URL.Path == "/__vkmock":
		s.serveControl(w, r)
	case strings.HasPrefix(r.URL.Path, "/lp/wh"):
		s.serveLongPoll(w, r)
	case strings.HasPrefix(r.URL.Path, "/im/u"):
		s.serveUserLongPoll(w, r)
	case r.URL.Path == "/captcha.php":
		s.serveCaptchaImage(w, r)
	case r.URL.Path == "/not_robot_captcha":
		s.serveVKIDCaptcha(w, r)
	case r.URL.Path == "/validate":
		s.serveValidate(w, r)
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		s.serveUpload(w, r)
	case r.URL.Path == "/blank.html":
		writePage(w, http.StatusOK, "", "")
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found: VK methods are under /method/, the control API under /__vkmock/"})
	}
}

// serveClosed answers a request that comes after Close: error 10 for a
// method, 503 for anything else.
func (s *Server) serveClosed(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/method/") {
		s.writeError(w, s.withSuffix(vkerr.Server, "the mock is closed"), false)
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": ErrClosed.Error()})
}

func (s *Server) message(c vkerr.Code) string {
	if m, ok := s.schema.known[c]; ok && m != "" {
		return m
	}
	return c.Info().MessageEN
}

func (s *Server) withSuffix(c vkerr.Code, suffix string) *vkerr.Error {
	return &vkerr.Error{Code: c, Message: s.message(c) + ": " + suffix}
}

// outcome is what a VK request was answered with, for the log.
type outcome struct {
	code      vkerr.Code
	status    int
	fault     string
	effect    string
	tokenKind TokenKind
	// logNow records the request now, before an answer that closes the
	// connection (reset, truncate), so that a client that sees the
	// connection end finds the request in the log.
	logNow func()
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	var q *vkRequest
	out := outcome{status: http.StatusOK}
	logged := false
	out.logNow = func() {
		if q != nil && !logged {
			logged = true
			s.record(start, r, q, out)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// A bug must not become an HTML 500: answer error 10.
			e := &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server) + ": vkmock internal error"}
			s.writeError(w, e, false)
			out.code = vkerr.Server
			if s.logger != nil {
				s.logger.Error("vkmock: internal error", "panic", fmt.Sprint(p))
			}
		}
		out.logNow()
	}()
	q, e := s.parseRequest(w, r)
	if e == nil {
		e = s.handle(w, r, q, &out)
		if e == nil {
			return
		}
	}
	if e.RequestParams == nil && len(q.params) < s.maxParams {
		e.RequestParams = q.echo()
	}
	out.code = e.Code
	if out.effect == "truncate" {
		out.logNow()
	}
	s.writeError(w, e, out.effect == "truncate")
}

// handle runs the checks in their documented order and answers. It
// returns the error to answer, or nil when it has answered.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, q *vkRequest, out *outcome) *vkerr.Error {
	m := s.schema.methods[q.name]
	proc := ""
	if m == nil {
		if name, ok := strings.CutPrefix(q.name, "execute."); ok {
			if _, ok := s.procs.get(name); ok {
				m, proc = s.schema.methods["execute"], name
			}
		}
	}
	var tok Token
	var app App
	var chal vkerr.Code
	known := false
	if q.hasToken {
		tok, app, chal, known = s.lookupTokenChallenge(q.token)
		if known {
			out.tokenKind = tok.Kind
		}
	}
	hasAnswer := false
	for _, p := range q.params {
		if p.key == "captcha_sid" || p.key == "captcha_key" || p.key == "success_token" {
			hasAnswer = true
			break
		}
	}
	if hasAnswer {
		q.captcha, q.answered = s.captchaAnswer(q, false)
	}

	// 1. Forced errors and fault rules.
	if h := r.Header.Get("X-Vkmock-Error"); h != "" {
		if e := s.forcedError(h, q, m); e != nil {
			return e
		}
	}
	if hit := s.matchFaults(q, out.tokenKind, m, phaseBefore); hit.fired() {
		if done, e := s.applyFault(w, r, hit, q, out); done || e != nil {
			return e
		}
	}

	// 2. v is required.
	if v, ok := q.get("v"); !ok || v == "" {
		return s.withSuffix(vkerr.Request, "v is required")
	}
	// 3. The method must exist (names are case-sensitive).
	if m == nil {
		return &vkerr.Error{Code: vkerr.Method}
	}
	// 4. The token: present (unless the method is open), known, usable.
	if !q.hasToken {
		if m.tokens&tmOpen == 0 {
			return s.withSuffix(vkerr.Auth, "no access_token passed.")
		}
	} else {
		if !known {
			return s.withSuffix(vkerr.Auth, "invalid access_token (4).")
		}
		switch tok.State {
		case StateExpired:
			return s.withSuffix(vkerr.Auth, "access_token has expired.")
		case StateRevoked:
			return s.withSuffix(vkerr.Auth, "invalid session.")
		case StateBanned:
			e := s.withSuffix(vkerr.Auth, "user is blocked.")
			e.BanInfo = tok.BanInfo
			if e.BanInfo == nil {
				e.BanInfo = &vkerr.BanInfo{MemberName: "Mock User", Message: "This profile has been blocked."}
			}
			return e
		case StateDeactivated:
			return &vkerr.Error{Code: vkerr.UserDeactivated}
		}
		// The token's challenge (17, 3300-3304, 3609-3611).
		if chal != 0 {
			return s.tokenChallengeError(chal, q)
		}
		// 5. The app: disabled apps need test_mode=1; test_mode=1 needs a
		// disabled app or a user token.
		testMode := q.flag("test_mode")
		if app.Disabled && !testMode {
			return &vkerr.Error{Code: vkerr.Disabled}
		}
		if testMode && !app.Disabled && tok.Kind != TokenUser {
			return &vkerr.Error{Code: vkerr.EnabledInTest}
		}
		// 6. HTTPS only.
		if s.httpsOnly.Load() && !q.tls {
			return &vkerr.Error{Code: vkerr.AuthHTTPS}
		}
		// 7. The token kind must be one the method accepts.
		if m.tokens&kindMask(tok.Kind) == 0 {
			return s.kindError(tok.Kind)
		}
	}
	// 8. Parameters.
	if e := s.validate(m, q); e != nil {
		return e
	}
	// 9. Rate limit.
	if q.hasToken && s.rateLimits.Load() && m.section != "ads" {
		secure := m.section == "secure"
		limit := rateBudget(tok.Kind, secure, app.Installs)
		if _, ok := s.limiter.allow(rateKey{storedKey(q.token), secure}, s.nowFn, limit); !ok {
			return &vkerr.Error{Code: vkerr.TooMany}
		}
	}
	// 10. A captcha answer: a wrong one gets a fresh captcha.
	solved := false
	if hasAnswer {
		state, prev := s.captchaAnswer(q, true)
		switch state {
		case answerWrong:
			flow, attempt, lenient := "legacy", 1, false
			if prev != nil {
				flow, attempt, lenient = prev.Flow, prev.Attempt+1, !prev.Strict
			}
			return s.newCaptchaError(q, flow, attempt, lenient)
		case answerFresh:
			solved = true
		}
	}
	// 11-14. Captcha, confirmation, flood control and quota rules, and
	// the confirmations asked by faults.
	if e := s.checkChallenges(q, solved, false); e != nil {
		return e
	}
	if e := s.checkConfirmation(q); e != nil {
		return e
	}
	// 15. The answer: the world, execute, or the response schema.
	var body []byte
	var execErrs vkerr.ExecuteErrors
	var e *vkerr.Error
	if m.name == "execute" {
		body, execErrs, e = s.execute(q, tok, proc)
		if body != nil {
			body = executeEnvelope(body, execErrs)
		}
	} else {
		body, e = s.answer(m, q, tok)
	}
	// 16. Faults after the action.
	if hit := s.matchFaults(q, out.tokenKind, m, phaseAfter); hit.fired() {
		if done, fe := s.applyFault(w, r, hit, q, out); done || fe != nil {
			return fe
		}
	}
	if e != nil {
		return e
	}
	if out.effect == "truncate" {
		out.logNow()
	}
	if execErrs != nil || m.name == "execute" {
		writeBody(w, body, out.effect == "truncate")
		return nil
	}
	s.writeResponse(w, body, out.effect == "truncate")
	return nil
}

// applyFault applies the rules that fired: their delays, added up, then
// the answer of the one with an answer. It reports done when it has
// answered (an HTML page, a reset, a canceled wait), or returns the error
// to answer; neither for a delay or a truncation of the normal answer.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, hit faultHit, q *vkRequest, out *outcome) (bool, *vkerr.Error) {
	if out.fault != "" {
		out.fault += ","
	}
	out.fault += hit.ids()
	var d time.Duration
	for _, f := range hit.delays {
		d += s.delay(f)
	}
	if hit.answer != nil {
		d += s.delay(hit.answer)
	}
	if d = min(d, s.timeouts.maxFaultLatency()); d > 0 {
		if !sleep(r.Context(), d) {
			// The client went away, or the server is shutting down: the
			// connection is closed without an answer, as a server going
			// down does (writing nothing would send an empty 200).
			out.effect, out.status = "canceled", 0
			out.logNow()
			resetConn(w)
			return true, nil
		}
	}
	f := hit.answer
	if f == nil {
		return false, nil
	}
	switch {
	case f.HTTPStatus != 0:
		out.status = f.HTTPStatus
		writeHTML(w, f.HTTPStatus)
		return true, nil
	case f.Effect == "reset":
		out.effect, out.status = "reset", 0
		out.logNow()
		resetConn(w)
		return true, nil
	case f.Error != nil:
		return false, s.faultError(f, q)
	case f.Effect == "truncate":
		out.effect = "truncate"
	}
	return false, nil
}

// kindError is the error of a token kind the method does not take.
func (s *Server) kindError(k TokenKind) *vkerr.Error {
	switch k {
	case TokenGroup:
		return s.withSuffix(vkerr.GroupAuth, "method is unavailable with group auth.")
	case TokenService:
		return s.withSuffix(vkerr.AppAuth, "method is unavailable with service token.")
	}
	return s.withSuffix(vkerr.Access, "no access to call this method")
}

// validate checks the parameters against the schema; the first problem is
// answered with 100 naming the parameter.
func (s *Server) validate(m *apiMethod, q *vkRequest) *vkerr.Error {
	if name, bad := q.badUTF8(); bad {
		return s.withSuffix(vkerr.Param, name+" is invalid")
	}
	for _, ps := range m.params {
		v, _ := q.get(ps.name)
		if v == "" {
			if ps.required {
				return s.withSuffix(vkerr.Param, ps.name+" is undefined")
			}
			continue
		}
		if d := ps.check(v); d != "" {
			return s.withSuffix(vkerr.Param, string(d))
		}
	}
	return nil
}

// forcedError answers the X-Vkmock-Error header: "CODE" or
// "CODE:SUBCODE", optionally followed by "; lenient" (see Fault.Lenient).
// It returns nil when the request answers the challenge the header asks
// for: the right captcha key for 14, confirm=1 for 24.
func (s *Server) forcedError(h string, q *vkRequest, m *apiMethod) *vkerr.Error {
	h, opts, _ := strings.Cut(h, ";")
	lenient := false
	for opt := range strings.SplitSeq(opts, ";") {
		switch strings.TrimSpace(opt) {
		case "":
		case "lenient":
			lenient = true
		default:
			return s.requestError("X-Vkmock-Error: unknown option " + strconv.Quote(strings.TrimSpace(opt)) + ": want lenient")
		}
	}
	cs, ss, _ := strings.Cut(strings.TrimSpace(h), ":")
	code, err := strconv.Atoi(strings.TrimSpace(cs))
	if err != nil || code <= 0 {
		return s.requestError("X-Vkmock-Error must be an error code")
	}
	e := &vkerr.Error{Code: vkerr.Code(code)}
	if ss != "" {
		sub, err := strconv.Atoi(strings.TrimSpace(ss))
		if err != nil || sub < 0 {
			return s.requestError("X-Vkmock-Error subcode must be a number")
		}
		e.Subcode = vkerr.Subcode(sub)
	}
	if !s.schema.global[e.Code] && (m == nil || !m.errors[e.Code]) {
		return s.requestError("X-Vkmock-Error: error " + strconv.Itoa(code) + " is not global and " + strconv.Quote(q.name) + " does not list it")
	}
	switch {
	case e.Code == vkerr.Captcha && q.captcha == answerFresh,
		e.Code == vkerr.NeedConfirmation && q.flag("confirm"):
		return nil
	}
	s.fillError(e, q, lenient)
	return e
}

// faultError builds the error of a fault rule.
func (s *Server) faultError(f *Fault, q *vkRequest) *vkerr.Error {
	e := *f.Error
	e.Extra = maps.Clone(f.Error.Extra)
	base := e.Message
	if base == "" {
		base = s.message(e.Code)
	}
	if f.Suffix != "" {
		base += ": " + f.Suffix
	}
	e.Message = base
	s.fillError(&e, q, f.Lenient && !f.StrictCaptcha)
	return &e
}

// fillError adds the fields VK sends with 14, 17 and 24 when they are
// missing: a captcha registered for the request's token (its attempt one
// more than the captcha the request answered wrongly; any key solves it
// when lenient), a validation page of the mock, a confirmation text (and,
// unless lenient, a pending confirmation of the request).
func (s *Server) fillError(e *vkerr.Error, q *vkRequest, lenient bool) {
	if e.Message == "" {
		e.Message = s.message(e.Code)
	}
	switch e.Code {
	case vkerr.Captcha:
		if e.CaptchaSID == "" {
			flow, attempt := "legacy", 1
			if q.captcha == answerWrong && q.answered != nil {
				flow, attempt = q.answered.Flow, q.answered.Attempt+1
			}
			c := s.newCaptchaError(q, flow, attempt, lenient)
			e.CaptchaSID, e.CaptchaTS, e.CaptchaAttempt = c.CaptchaSID, c.CaptchaTS, c.CaptchaAttempt
			e.RedirectURI, e.RemixStlid = c.RedirectURI, c.RemixStlid
			if e.CaptchaImg == "" {
				e.CaptchaImg = c.CaptchaImg
			}
		} else if e.CaptchaImg == "" {
			e.CaptchaImg = q.base() + "/captcha.php?sid=" + url.QueryEscape(e.CaptchaSID) + "&s=1"
		}
	case vkerr.AuthValidation:
		if e.RedirectURI == "" {
			e.RedirectURI = s.newValidation(q, vkerr.AuthValidation)
		}
		if e.Message == s.message(vkerr.AuthValidation) {
			e.Message += ": please open redirect_uri in browser"
		}
	case vkerr.NeedConfirmation:
		if e.ConfirmationText == "" {
			e.ConfirmationText = defaultConfirmation
		}
		if !lenient {
			s.askConfirmation(q, e.ConfirmationText)
		}
	}
}

// writeError writes the VK error envelope.
func (s *Server) writeError(w http.ResponseWriter, e *vkerr.Error, truncate bool) {
	b, err := vkerr.Envelope{Error: e}.MarshalWire()
	if err != nil {
		// Marshal fails only on bad Extra values; drop them.
		e.Extra = nil
		b, err = vkerr.Envelope{Error: e}.MarshalWire()
		if err != nil {
			b = []byte(`{"error":{"error_code":10,"error_msg":"Internal server error"}}`)
		}
	}
	writeBody(w, b, truncate)
}

func (s *Server) writeResponse(w http.ResponseWriter, body []byte, truncate bool) {
	const head, tail = `{"response":`, "}"
	if truncate {
		b := make([]byte, 0, len(head)+len(body)+len(tail))
		b = append(append(append(b, head...), body...), tail...)
		writeBody(w, b, true)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(head)+len(body)+len(tail)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, head)
	_, _ = w.Write(body)
	_, _ = io.WriteString(w, tail)
}

func writeBody(w http.ResponseWriter, b []byte, truncate bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if truncate {
		truncateConn(w, b)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// truncateConn sends the headers announcing the whole body, half of it,
// then closes the connection.
func truncateConn(w http.ResponseWriter, b []byte) {
	half := b[:len(b)/2]
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2: announce the length, send half, end the stream.
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(half)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	var hb strings.Builder
	hb.WriteString("HTTP/1.1 200 OK\r\n")
	keys := make([]string, 0, len(w.Header()))
	for k := range w.Header() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range w.Header()[k] {
			hb.WriteString(k + ": " + v + "\r\n")
		}
	}
	hb.WriteString("Connection: close\r\n\r\n")
	writeAll(conn, buf, hb.String(), half)
}

func writeAll(conn net.Conn, buf *bufio.ReadWriter, head string, body []byte) {
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = buf.WriteString(head)
	_, _ = buf.Write(body)
	_ = buf.Flush()
}

// resetConn drops the connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := underlyingTCP(conn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch t := c.(type) {
		case *net.TCPConn:
			return t, true
		case interface{ NetConn() net.Conn }:
			c = t.NetConn()
		default:
			return nil, false
		}
	}
}

// writeHTML answers an HTTP status with an HTML page, as a proxy in front
// of the API would.
func writeHTML(w http.ResponseWriter, status int) {
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	body := "<html>\r\n<head><title>" + strconv.Itoa(status) + " " + text + "</title></head>\r\n<body>\r\n<center><h1>" +
		strconv.Itoa(status) + " " + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the answer failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// record logs a VK request and adds it to the request log.
func (s *Server) record(start time.Time, r *http.Request, q *vkRequest, out outcome) {
	rec := RequestRecord{
		Time:       start,
		HTTPMethod: r.Method,
		TokenKind:  out.tokenKind,
		HTTPStatus: out.status,
		Fault:      out.fault,
		Effect:     out.effect,
	}
	if out.code != 0 {
		c := out.code
		rec.ErrorCode = &c
	}
	rec.Method, _ = logString(q.name, s.limits.LogValueBytes)
	rec.Params = recordParams(rec.Method, q.params, s.limits.LogValueBytes)
	s.log.add(rec)
	if s.logger != nil {
		code := 0
		if rec.ErrorCode != nil {
			code = int(*rec.ErrorCode)
		}
		attrs := []slog.Attr{
			slog.String("http", r.Method),
			slog.String("method", rec.Method),
			slog.String("token", out.tokenKind.String()),
			slog.Int("status", out.status),
			slog.Int("error_code", code),
			slog.Duration("took", s.now().Sub(start)),
		}
		if out.fault != "" {
			attrs = append(attrs, slog.String("fault", out.fault))
		}
		if out.effect != "" {
			attrs = append(attrs, slog.String("effect", out.effect))
		}
		s.logger.LogAttrs(context.Background(), slog.LevelInfo, "vk request", attrs...)
	}
}
