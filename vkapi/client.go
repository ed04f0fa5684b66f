package vkapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// DefaultBaseURL is the API server root the client talks to unless
// WithBaseURL says otherwise.
const DefaultBaseURL = "https://api.vk.com"

// DefaultVersion is the API version sent as v unless WithVersion or the
// call's own v says otherwise.
const DefaultVersion = "5.199"

// Client calls the VK API and applies each error's documented remedy by
// itself: it keeps every token to its rate budget, retries what is safe to
// retry, sets idempotency keys, and calls the hooks for challenges a person
// must answer. A Client is safe for concurrent use; make one per set of
// tokens and share it.
type Client struct {
	config    // the options, with their defaults filled in by New
	pool      *pool
	batchOpts BatchOptions
	batcher   *batcher // nil unless WithBatching
	closers   closers  // what Close stops
}

// Option configures a Client.
type Option func(*config)

type config struct {
	base       string
	hc         *http.Client
	version    string
	lang       string
	log        *slog.Logger
	retry      RetryPolicy
	limit      Limit
	maxBody    int64
	tokens     []string
	kind       TokenKind
	captcha    CaptchaSolver
	maxCaptcha int
	validator  Validator
	confirmer  Confirmer
	refresher  TokenRefresher
	obs        Observer
	batching   *BatchOptions
	shared     SharedLimiter // WithSharedLimiter
}

// WithBaseURL sets the server root, such as "http://127.0.0.1:8080"; the
// client adds /method/NAME. An empty url keeps DefaultBaseURL.
func WithBaseURL(url string) Option {
	return func(c *config) { c.base = strings.TrimRight(url, "/") }
}

// WithHTTPClient sets the HTTP client. Nil keeps the default: a client of
// its own whose transport keeps up to 100 idle connections per host and
// accepts gzip. The HTTP client must not follow the token to other hosts;
// the client sets it only in the Authorization header, which net/http drops
// on redirects to another host.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithVersion sets the API version sent as v. Empty keeps DefaultVersion.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithLang sets the language of returned data, sent as lang ("ru", "en",
// ...). Empty sends none, and the server picks.
func WithLang(lang string) Option { return func(c *config) { c.lang = lang } }

// WithTokens adds tokens to the pool, after the one given to New. Calls
// share the pool's tokens, each kept to its own budget. Empty strings are
// skipped.
func WithTokens(tokens ...string) Option {
	return func(c *config) { c.tokens = append(c.tokens, tokens...) }
}

// WithTokenKind says what kind every token of the pool is, which sets its
// rate budget and the methods it is chosen for. Without it the kind is
// KindUnknown, which gets the user budget (3 requests/s): always safe, slow
// for community tokens.
func WithTokenKind(k TokenKind) Option { return func(c *config) { c.kind = k } }

// WithLogger sets the logger: one debug record per attempt and per retry
// decision, a warning when a token leaves the pool. Tokens and other
// secrets never appear in its records. Nil keeps the default, which
// discards everything.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithRetry sets the retry policy; its zero fields take their defaults.
func WithRetry(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithLimit sets the rate budgets; its zero fields take their defaults.
func WithLimit(l Limit) Option { return func(c *config) { c.limit = l } }

// WithMaxBodySize bounds the response bodies the client reads (after gzip
// decoding); a larger one is a transient *vkerr.HTTPError. Zero or negative
// keeps vkerr.DefaultMaxBodySize (8 MiB).
func WithMaxBodySize(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithCaptchaSolver sets the hook for error 14. Nil, the default, returns
// the *vkerr.Error, which carries captcha_sid, captcha_img and redirect_uri.
func WithCaptchaSolver(s CaptchaSolver) Option { return func(c *config) { c.captcha = s } }

// WithCaptchaAttempts caps the captchas solved for one call. Zero or
// negative keeps the default, 3.
func WithCaptchaAttempts(n int) Option { return func(c *config) { c.maxCaptcha = n } }

// WithValidator sets the hook for error 17. Nil, the default, returns the
// *vkerr.Error, which carries redirect_uri.
func WithValidator(v Validator) Option { return func(c *config) { c.validator = v } }

// WithConfirmer sets the hook for error 24. Nil, the default, returns the
// *vkerr.Error, which carries confirmation_text.
func WithConfirmer(cf Confirmer) Option { return func(c *config) { c.confirmer = cf } }

// WithTokenRefresher sets the hook for errors 5 and 3609. Nil, the default,
// returns the error; a token that got 5 or 3610 leaves the pool.
func WithTokenRefresher(r TokenRefresher) Option { return func(c *config) { c.refresher = r } }

// WithObserver sets an Observer of requests, responses, retries and limiter
// waits. Nil, the default, observes nothing.
func WithObserver(o Observer) Option { return func(c *config) { c.obs = o } }

// New returns a client that calls the API with token, and with the tokens
// of WithTokens. An empty token and no others makes a client without a
// token, for the few methods that need none.
func New(token string, opts ...Option) *Client {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	tokens := make([]string, 0, 1+len(cfg.tokens))
	for _, t := range append([]string{token}, cfg.tokens...) {
		if t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		tokens = []string{""}
	}
	c := &Client{config: cfg}
	c.retry, c.limit = c.retry.withDefaults(), c.limit.withDefaults()
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 100
		c.hc = &http.Client{Transport: t}
	}
	if c.version == "" {
		c.version = DefaultVersion
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = vkerr.DefaultMaxBodySize
	}
	if c.maxCaptcha <= 0 {
		c.maxCaptcha = 3
	}
	c.pool = newPool(tokens, c.kind, c.limit)
	c.attachShared()
	c.batchOpts = BatchOptions{}.withDefaults()
	if c.batching != nil {
		c.batchOpts = c.batching.withDefaults()
		c.batcher = newBatcher(c, c.batchOpts)
	}
	return c
}

// Call calls method with params and decodes the "response" value into out
// (which json.Unmarshal must accept; nil discards it).
//
// On the way it applies the remedies the error catalogue documents:
//   - it waits for the token's rate limiter, and after an error 6 slows the
//     token down and resends;
//   - it retries transient failures (errors 1 and 10, non-200 statuses, HTML
//     pages, truncated bodies, resets, timeouts) with exponential backoff
//     and full jitter, within RetryPolicy's caps, but only when the call is
//     safe to repeat: the method only reads, or the request carries an
//     idempotency key;
//   - for methods that take random_id (messages.send) or guid (wall.post)
//     it sets one when params has none, once per call, the same on every
//     resend; a random_id of 0 is VK's "no deduplication" and is kept;
//   - errors 9 and 29 end the call at once with a *CooldownError; after a 29
//     the method is refused on that token, locally, until the cooldown ends;
//   - errors 14, 17, 24, 5 and 3609 go to their hooks, if set;
//   - a token that gets 5 or 3610 leaves the pool (with a *TokenError, once).
//
// Every error it returns is a *CallError; errors.Is and errors.As reach the
// vkerr error inside. After an execute whose inner calls partly failed, out
// holds the response and the error matches vkerr.ExecuteErrors. Every wait
// ends when ctx does.
func (c *Client) Call(ctx context.Context, method string, params Params, out any) error {
	if !validMethodName(method) {
		return &CallError{Method: strconv.Quote(method), Err: errors.New("invalid method name"), redact: c.pool.redact}
	}
	if c.batcher != nil && batchable(method, c.pool.kind()) {
		it, err := newBatchItem(ctx, method, params, out)
		if err != nil {
			return &CallError{Method: method, Err: err, redact: c.pool.redact}
		}
		return c.batcher.call(it)
	}
	meta, _ := lookupMethod(method)
	var b strings.Builder
	if err := encodeParams(&b, params); err != nil {
		return &CallError{Method: method, Err: err, redact: c.pool.redact}
	}
	if params["v"] == nil {
		appendParam(&b, "v", c.version)
	}
	if params["lang"] == nil && c.lang != "" {
		appendParam(&b, "lang", c.lang)
	}
	safe := meta.flags&methodRead != 0
	if k := idempotencyKey(meta); k != "" {
		if v, ok := params[k]; ok && v != nil {
			s, _ := formatValue(v)
			safe = s != "" && s != "0"
		} else {
			appendParam(&b, k, newIdempotencyValue(k))
			safe = true
		}
	}
	st := &callState{method: method, meta: meta, body: b.String(), safe: safe, keyed: safe && idempotencyKey(meta) != "", start: time.Now()}
	return c.run(ctx, st, out)
}

func idempotencyKey(m methodMeta) string {
	switch {
	case m.flags&methodRandomID != 0:
		return "random_id"
	case m.flags&methodGUID != 0:
		return "guid"
	}
	return ""
}

// newIdempotencyValue returns a fresh random_id (a positive int32, as VK
// takes) or guid (32 hex digits).
func newIdempotencyValue(key string) string {
	if key == "random_id" {
		return strconv.FormatInt(int64(rand.Int32N(1<<31-1))+1, 10)
	}
	var g [16]byte
	for i := 0; i < len(g); i += 8 {
		u := rand.Uint64()
		for j := 0; j < 8; j++ {
			g[i+j] = byte(u >> (8 * j))
		}
	}
	return hex.EncodeToString(g[:])
}

// errCallTimeUsed ends a retry's wait for the limiter when the call's
// MaxElapsed runs out; the call then returns its last error.
var errCallTimeUsed = errors.New("vkapi: the call's time for retries is used up")

// callState is one logical call, across its attempts.
type callState struct {
	method string
	meta   methodMeta
	body   string      // the encoded parameters, the same on every attempt
	extra  [][2]string // parameters added by remedies (captcha, confirm)
	safe   bool
	// keyed is set when the request carries an idempotency key (random_id,
	// guid): every resend then goes out on the token of the first send,
	// since VK deduplicates per sender.
	keyed    bool
	pin      *entry
	start    time.Time
	attempts int // requests tried
	retries  int // attempts the retry chain has seen
	captchas int
	renewals int
	lastErr  error
}

func (st *callState) encoded() string {
	if len(st.extra) == 0 {
		return st.body
	}
	var b strings.Builder
	b.WriteString(st.body)
	for _, kv := range st.extra {
		appendParam(&b, kv[0], kv[1])
	}
	return b.String()
}

// setExtra sets a remedy parameter, replacing an earlier value.
func (st *callState) setExtra(k, v string) {
	for i := range st.extra {
		if st.extra[i][0] == k {
			st.extra[i][1] = v
			return
		}
	}
	st.extra = append(st.extra, [2]string{k, v})
}

// next is what the remedies say to do after a failed attempt.
type next int

const (
	nextStop   next = iota // return the error
	nextResend             // resend at once (the remedy changed the request or the token)
	nextChain              // ask the retry chain
)

func (c *Client) run(ctx context.Context, st *callState, out any) error {
	debug := c.log.Enabled(ctx, slog.LevelDebug)
	for {
		var obsWait func(int, time.Duration)
		if c.obs != nil || debug {
			obsWait = func(idx int, waited time.Duration) {
				if c.obs != nil {
					c.obs.ObserveLimiterWait(ctx, LimiterWaitEvent{Method: st.method, Token: idx, Waited: waited})
				}
				if debug {
					c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: limiter wait", slog.String("method", st.method),
						slog.Int("token", idx), slog.Duration("waited", waited))
				}
			}
		}
		actx, cancel := ctx, context.CancelFunc(nil)
		if st.retries > 0 {
			// A retry's wait for the limiter counts against MaxElapsed.
			actx, cancel = context.WithDeadlineCause(ctx, st.start.Add(c.retry.MaxElapsed), errCallTimeUsed)
		}
		l, err := c.pool.acquire(actx, st.method, st.meta, st.pin, obsWait)
		if cancel != nil {
			cancel()
		}
		if err != nil {
			if (errors.Is(err, errCallTimeUsed) || errors.Is(err, errPinnedTokenGone)) && st.lastErr != nil {
				err = st.lastErr
			}
			return c.fail(st, err)
		}
		if st.keyed && st.pin == nil {
			st.pin = l.e
		}
		st.attempts++
		if c.obs != nil {
			c.obs.ObserveRequest(ctx, RequestEvent{Method: st.method, Attempt: st.attempts, Token: l.e.idx})
		}
		t0 := time.Now()
		raw, decoded, status, err := c.send(ctx, st.method, st.encoded(), l.token, out)
		if l.win != nil {
			l.win.release(true)
		}
		if c.obs != nil || debug {
			c.observeResponse(ctx, st, l, time.Since(t0), status, err, debug)
		}
		if err == nil {
			if decoded {
				return nil
			}
			return c.decode(st, raw, out)
		}
		var ee vkerr.ExecuteErrors
		if errors.As(err, &ee) && raw != nil {
			if derr := c.decode(st, raw, out); derr != nil {
				return derr
			}
			return c.fail(st, err)
		}
		st.lastErr = err
		switch c.remedy(ctx, st, l, &err) {
		case nextStop:
			return c.fail(st, err)
		case nextResend:
			continue
		}
		st.retries++
		a := &Attempt{Method: st.method, Number: st.retries, Err: err, Safe: st.safe,
			Unsent: isUnsent(err), Elapsed: time.Since(st.start)}
		d, why := c.retry.decide(ctx, a)
		var delay time.Duration
		if d == DoRetry {
			switch {
			case st.retries >= c.retry.MaxAttempts:
				d, why = DontRetry, why+"; but attempts are used up ("+strconv.Itoa(c.retry.MaxAttempts)+")"
			case errors.Is(err, vkerr.TooMany):
				delay = 0 // the limiter waits out the window
			default:
				delay = c.retry.backoff(st.retries)
			}
			if d == DoRetry && time.Since(st.start)+delay > c.retry.MaxElapsed {
				d, why = DontRetry, why+"; but the call's time is used up ("+c.retry.MaxElapsed.String()+")"
			}
		}
		if c.obs != nil {
			c.obs.ObserveRetry(ctx, RetryEvent{Method: st.method, Attempt: st.attempts, Err: err, Retry: d == DoRetry, Delay: delay, Reason: why})
		}
		if debug {
			c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: retry decision", slog.String("method", st.method),
				slog.Int("attempt", st.attempts), slog.String("decision", d.String()), slog.String("reason", why),
				slog.Duration("delay", delay), slog.String("err", c.errString(err)))
		}
		if d != DoRetry {
			return c.fail(st, err)
		}
		if err := sleep(ctx, delay); err != nil {
			return c.fail(st, err)
		}
	}
}

func (c *Client) observeResponse(ctx context.Context, st *callState, l lease, d time.Duration, status int, err error, debug bool) {
	var code vkerr.Code
	var ve *vkerr.Error
	if errors.As(err, &ve) {
		code = ve.Code
	}
	if c.obs != nil {
		c.obs.ObserveResponse(ctx, ResponseEvent{Method: st.method, Attempt: st.attempts, Token: l.e.idx,
			Duration: d, Status: status, Code: code, Err: err})
	}
	if debug {
		attrs := []slog.Attr{slog.String("method", st.method), slog.Int("attempt", st.attempts),
			slog.Int("token", l.e.idx), slog.Duration("duration", d), slog.Int("status", status)}
		if err != nil {
			attrs = append(attrs, slog.Int("code", int(code)), slog.String("err", c.errString(err)))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "vkapi: attempt", attrs...)
	}
}

// errString is err's message with every secret redacted, for logs.
func (c *Client) errString(err error) string {
	return vkerr.RedactString(c.pool.redact(err.Error()))
}

func (c *Client) fail(st *callState, err error) error {
	return &CallError{Method: st.method, Attempts: st.attempts, Err: err, redact: c.pool.redact}
}

func (c *Client) decode(st *callState, raw json.RawMessage, out any) error {
	if raw == nil {
		return nil
	}
	if err := decodeInto(raw, out); err != nil {
		return c.fail(st, err)
	}
	return nil
}

// send makes one HTTP request and classifies its answer. On the common
// path, a 200 answer {"response": ...} with nothing else, it decodes the
// response into out in the same pass as the envelope and reports decoded;
// every other answer goes to vkerr.CheckResponse.
func (c *Client) send(ctx context.Context, method, body, token string, out any) (json.RawMessage, bool, int, error) {
	actx := ctx
	if c.retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(ctx, c.retry.AttemptTimeout, errAttemptTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+"/method/"+method, strings.NewReader(body))
	if err != nil {
		return nil, false, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) {
			err = fmt.Errorf("%w: %w", errAttemptTimeout, err)
		}
		return nil, false, 0, err
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if rerr == nil && resp.StatusCode == http.StatusOK && int64(len(data)) <= c.maxBody && out != nil && fastDecode(data, out) {
		return nil, true, resp.StatusCode, nil
	}
	// Anything else: let vkerr read the same bytes (and the same read
	// error) and classify them.
	var rd io.Reader = bytes.NewReader(data)
	if rerr != nil {
		rd = io.MultiReader(rd, errReader{rerr})
	}
	replay := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(rd)}
	raw, err := vkerr.CheckResponse(replay, c.maxBody)
	if err != nil {
		c.pool.scrub(err)
		if ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) {
			var he *vkerr.HTTPError
			if errors.As(err, &he) {
				he.Reason += " (attempt timed out)"
			}
		}
		if ctx.Err() != nil && raw == nil {
			// The body read failed because the call's context ended.
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
	}
	return raw, false, resp.StatusCode, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var responsePrefix = []byte(`{"response":`)

// fastDecode decodes a success envelope straight into out, in one pass. It
// reports false, having maybe written part of out, for anything that is not
// plainly {"response": ...} alone; the caller then takes the full path.
func fastDecode(data []byte, out any) bool {
	if !bytes.HasPrefix(data, responsePrefix) {
		return false
	}
	env := struct {
		Response      any             `json:"response"`
		Error         json.RawMessage `json:"error"`
		ExecuteErrors json.RawMessage `json:"execute_errors"`
	}{Response: out}
	if err := json.Unmarshal(data, &env); err != nil {
		return false
	}
	return env.Error == nil && env.ExecuteErrors == nil
}

// remedy applies the documented reaction to a failed attempt's error. It
// may replace *errp with a more telling error.
func (c *Client) remedy(ctx context.Context, st *callState, l lease, errp *error) next {
	var e *vkerr.Error
	if !errors.As(*errp, &e) {
		return nextChain
	}
	switch e.Code {
	case vkerr.TooMany:
		if l.win != nil {
			l.win.penalize()
		}
		return nextChain
	case vkerr.Flood:
		*errp = &CooldownError{Method: st.method, Code: vkerr.Flood, Until: time.Now().Add(c.retry.FloodCooldown), Err: e}
		return nextStop
	case vkerr.RateLimit:
		until := time.Now().Add(c.retry.QuotaCooldown)
		c.pool.block(l.e, st.method, until, e)
		*errp = &CooldownError{Method: st.method, Code: vkerr.RateLimit, Until: until, Err: e}
		return nextStop
	case vkerr.Captcha:
		return c.solveCaptcha(ctx, st, e, errp)
	case vkerr.AuthValidation:
		if c.validator == nil || st.renewals >= 2 {
			return nextStop
		}
		st.renewals++
		_, err := c.pool.renew(ctx, l.e, l.token, func(ctx context.Context) (string, error) {
			return c.validator.Validate(ctx, &Validation{Method: st.method, RedirectURI: e.RedirectURI, Err: e})
		})
		if err != nil {
			*errp = &HookError{Hook: "validator", Err: err, Cause: e, redact: c.pool.redact}
			return nextStop
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "vkapi: token replaced after validation", slog.Int("token", l.e.idx))
		return nextResend
	case vkerr.NeedConfirmation:
		if c.confirmer == nil {
			return nextStop
		}
		if _, done := st.extraValue("confirm"); done {
			return nextStop // confirmed once already and asked again
		}
		yes, err := c.confirmer.Confirm(ctx, &Confirmation{Method: st.method, Text: e.ConfirmationText, Err: e})
		switch {
		case err != nil:
			*errp = &HookError{Hook: "confirmer", Err: err, Cause: e, redact: c.pool.redact}
			return nextStop
		case !yes:
			*errp = &HookError{Hook: "confirmer", Err: ErrDeclined, Cause: e, redact: c.pool.redact}
			return nextStop
		}
		st.setExtra("confirm", "1")
		return nextResend
	case vkerr.Auth, vkerr.TokenExtensionRequired, vkerr.UserDeactivated:
		if c.refresher != nil && e.Code != vkerr.UserDeactivated && st.renewals < 2 && l.token != "" {
			st.renewals++
			_, err := c.pool.renew(ctx, l.e, l.token, func(ctx context.Context) (string, error) {
				return c.refresher.RefreshToken(ctx, &Refresh{Method: st.method, Token: l.e.idx, Kind: l.e.kind, Err: e})
			})
			if err == nil {
				c.log.LogAttrs(ctx, slog.LevelInfo, "vkapi: token refreshed", slog.Int("token", l.e.idx), slog.Int("code", int(e.Code)))
				return nextResend
			}
			*errp = &HookError{Hook: "token refresher", Err: err, Cause: e, redact: c.pool.redact}
			if e.Code != vkerr.Auth {
				return nextStop
			}
		}
		if e.Code == vkerr.TokenExtensionRequired {
			return nextStop
		}
		if c.pool.kill(l.e, l.token, e) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "vkapi: token left the pool", slog.Int("token", l.e.idx),
				slog.Int("code", int(e.Code)), slog.String("err", c.errString(e)))
			te := &TokenError{Token: l.e.idx, Err: e}
			if he, ok := (*errp).(*HookError); ok {
				*errp = errors.Join(te, he)
			} else {
				*errp = te
			}
		}
		return nextStop
	}
	return nextChain
}

// delExtra removes remedy parameters.
func (st *callState) delExtra(keys ...string) {
	st.extra = slices.DeleteFunc(st.extra, func(kv [2]string) bool { return slices.Contains(keys, kv[0]) })
}

func (st *callState) extraValue(k string) (string, bool) {
	for _, kv := range st.extra {
		if kv[0] == k {
			return kv[1], true
		}
	}
	return "", false
}

func (c *Client) solveCaptcha(ctx context.Context, st *callState, e *vkerr.Error, errp *error) next {
	if c.captcha == nil || st.captchas >= c.maxCaptcha {
		return nextStop
	}
	st.captchas++
	ans, err := c.captcha.SolveCaptcha(ctx, &Captcha{Method: st.method, Attempt: st.captchas, SID: e.CaptchaSID,
		Img: e.CaptchaImg, RedirectURI: e.RedirectURI, Err: e})
	if err != nil {
		*errp = &HookError{Hook: "captcha solver", Err: err, Cause: e, redact: c.pool.redact}
		return nextStop
	}
	if ans.Key == "" && ans.SuccessToken == "" {
		*errp = &HookError{Hook: "captcha solver", Err: ErrDeclined, Cause: e, redact: c.pool.redact}
		return nextStop
	}
	// The answer to this captcha replaces every field of an earlier one: a
	// stale success_token or key would decide the resend otherwise.
	st.delExtra("captcha_sid", "captcha_key", "success_token", "captcha_ts", "captcha_attempt", "remixstlid")
	if e.CaptchaSID != "" {
		st.setExtra("captcha_sid", e.CaptchaSID)
	}
	if ans.Key != "" {
		st.setExtra("captcha_key", ans.Key)
	}
	if ans.SuccessToken != "" {
		st.setExtra("success_token", ans.SuccessToken)
	}
	if e.CaptchaTS != "" {
		st.setExtra("captcha_ts", e.CaptchaTS)
	}
	if e.CaptchaAttempt != 0 {
		st.setExtra("captcha_attempt", strconv.Itoa(e.CaptchaAttempt))
	}
	if e.RemixStlid != 0 {
		st.setExtra("remixstlid", strconv.FormatInt(e.RemixStlid, 10))
	}
	return nextResend
}
