package vkmock

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

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
// run time instead of the embedded table; New fails (MustNew panics) if it
// cannot be loaded.
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
