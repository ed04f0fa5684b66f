package vkapi

import (
	"log/slog"
	"net/http"
	"strings"
)

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
	tokens     []tokenSpec // after the token given to New
	kind       TokenKind   // of the tokens whose kind no option gave
	captcha    CaptchaSolver
	maxCaptcha int
	validator  Validator
	confirmer  Confirmer
	refresher  TokenRefresher
	obs        Observer
	batching   *BatchOptions
	shared     SharedLimiter // WithSharedLimiter
}

// tokenSpec is a token of the pool and its kind, as the options gave it;
// KindUnknown has it detected.
type tokenSpec struct {
	token string
	kind  TokenKind
}

// WithBaseURL sets the server root, such as "http://127.0.0.1:8080"; the
// client adds /method/NAME. An empty url keeps DefaultBaseURL. Requests
// never leave the base URL's origin (scheme, host and port): a redirect to
// another origin fails the request with an error matching
// ErrCrossOriginRedirect.
func WithBaseURL(url string) Option {
	return func(c *config) { c.base = strings.TrimRight(url, "/") }
}

// WithHTTPClient sets the HTTP client. Nil keeps the default: a client of
// its own whose transport keeps up to 100 idle connections per host and
// accepts gzip, and which Close closes the idle connections of. The client
// uses a copy of hc whose CheckRedirect refuses any redirect to another
// origin than the base URL's (then hc's own CheckRedirect, if any, decides),
// so that neither the token nor the form ever leaves that origin; Close
// leaves hc's transport alone.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithVersion sets the API version sent as v. Empty keeps DefaultVersion.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithLang sets the language of returned data, sent as lang ("ru", "en",
// ...). Empty sends none, and the server picks.
func WithLang(lang string) Option { return func(c *config) { c.lang = lang } }

// WithTokens adds tokens to the pool, after the one given to New. Calls
// share the pool's tokens, each kept to its own budget. Their kind is the
// one WithTokenKind gives, or else detected (see WithTokenKind). Empty
// strings are skipped.
func WithTokens(tokens ...string) Option {
	return WithTokensOfKind(KindUnknown, tokens...)
}

// WithTokensOfKind adds tokens of kind k to the pool, after the one given
// to New, so that a pool can mix kinds:
//
//	vkapi.New("", vkapi.WithTokensOfKind(vkapi.KindUser, userToken),
//		vkapi.WithTokensOfKind(vkapi.KindGroup, groupToken1, groupToken2))
//
// KindUnknown is as WithTokens. Empty strings are skipped.
func WithTokensOfKind(k TokenKind, tokens ...string) Option {
	return func(c *config) {
		for _, t := range tokens {
			c.tokens = append(c.tokens, tokenSpec{t, k})
		}
	}
}

// WithTokenKind says what kind the tokens of the pool are, except those
// WithTokensOfKind gave a kind; it sets their rate budget and the methods
// they are chosen for.
//
// Without it (KindUnknown), the client detects each token's kind before
// its first request, once, with one call of groups.getTokenPermissions,
// which only a community token may make: a success is a community token,
// error 15 a user token, error 28 a service token. The call counts against
// the token's budget. Until the answer comes, calls wait for it (as long as
// their context allows); if it cannot be had (no answer within
// DefaultDetectTimeout, another error), the token keeps the user budget
// (3 requests/s), which is always safe. With WithRedisLimiter, give the
// kind: the shared budget is set when the client is made.
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
// returns the error; a token that got 5 or 3610 leaves the pool. The hook
// runs detached from the context of the call that met the error (bounded by
// RetryPolicy.HookTimeout and Close), so that the calls sharing it do not
// fail when that one gives up; a hook's failure leaves the token in the
// pool.
func WithTokenRefresher(r TokenRefresher) Option { return func(c *config) { c.refresher = r } }

// WithObserver sets an Observer of requests, responses, retries and limiter
// waits. Nil, the default, observes nothing.
func WithObserver(o Observer) Option { return func(c *config) { c.obs = o } }
