package redislimit

import "time"

// DefaultKeyPrefix is the prefix of the limiter's Redis keys unless
// KeyPrefix says otherwise. redis_rate puts "rate:" before it.
const DefaultKeyPrefix = "vkapi:"

// Defaults of the options.
const (
	// DefaultReplicas is the number of processes assumed to share a token
	// when Redis is away: each falls back to 1/3 of the budget.
	DefaultReplicas = 3
	// DefaultMarginDivisor sets the default margin: the window divided by
	// it, 15.6 ms for VK's one-second window (98.5% of the budget).
	DefaultMarginDivisor = 64
	// DefaultLookahead is how many slots of a token's shared schedule may
	// be handed out before their time.
	DefaultLookahead = 2
	// DefaultTimeout bounds every Redis round trip of the limiter.
	DefaultTimeout = 200 * time.Millisecond
	// DefaultProbeInterval is how often, at most, the limiter asks an
	// unreachable Redis whether it is back.
	DefaultProbeInterval = time.Second
)

// Option configures New.
type Option func(*config)

type config struct {
	prefix    string
	share     float64
	margin    time.Duration
	tol       time.Duration
	lookahead int
	timeout   time.Duration
	probe     time.Duration
}

func (c config) withDefaults() config {
	if c.prefix == "" {
		c.prefix = DefaultKeyPrefix
	}
	if c.share <= 0 {
		c.share = 1.0 / DefaultReplicas
	}
	if c.lookahead <= 0 {
		c.lookahead = DefaultLookahead
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.probe <= 0 {
		c.probe = DefaultProbeInterval
	}
	return c
}

// marginFor returns the margin and the lateness tolerance of a budget of
// window per.
func (c config) marginFor(per time.Duration) (margin, tol time.Duration) {
	margin = c.margin
	if margin <= 0 {
		margin = per / DefaultMarginDivisor
	}
	tol = c.tol
	if tol <= 0 || tol > margin {
		tol = margin / 3
	}
	return margin, tol
}

// KeyPrefix sets the prefix of the limiter's Redis keys. A key is the
// prefix, then the budget's vkapi.SharedBudget ID (32 hex digits of the
// token's SHA-256, then ":secure" for the secure.* budget); redis_rate
// adds "rate:" in front, so the default key of a token looks like
// "rate:vkapi:3f2a…". The token itself is never sent to Redis. Empty keeps
// DefaultKeyPrefix.
func KeyPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// Replicas says how many processes are expected to share a token: while
// Redis is unreachable each process keeps to 1/n of the budget (rounded
// down, at least one request per window), so that n processes cut off from
// Redis together still keep to it. Zero or negative keeps DefaultReplicas.
// It is FallbackShare(1/n).
func Replicas(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.share = 1 / float64(n)
		}
	}
}

// FallbackShare sets the share of the budget (0 < share <= 1) this process
// keeps to while Redis is unreachable. Out-of-range values keep the
// default, 1/DefaultReplicas.
func FallbackShare(share float64) Option {
	return func(c *config) {
		if share > 0 && share <= 1 {
			c.share = share
		}
	}
}

// Margin sets the margin added to the window in the shared schedule: a
// token's budget of n requests per window Per is handed out as n slots per
// Per+margin, evenly spaced, which is 1-margin/(Per+margin) of the budget,
// and absorbs up to margin of jitter between the moment Redis hands out a
// slot and the moment the request reaches the server. Zero or negative
// keeps the default, Per/DefaultMarginDivisor (15.6 ms for VK's one-second
// window: 98.5% of the budget). The default absorbs about 15 ms of jitter
// on the way to the server (loopback on a busy machine); on a network
// whose trip to VK varies more, set the margin to cover the spread.
func Margin(d time.Duration) Option {
	return func(c *config) { c.margin = d }
}

// Tolerance sets how late after its slot a request may still go (counting
// the Redis round trip that told the slot); a later one reserves another
// slot. It is the part of the margin spent in this process; the rest is
// for the trip to the server. Zero, negative or more than the margin keeps
// the default, 1/3 of the margin.
func Tolerance(d time.Duration) Option {
	return func(c *config) { c.tol = d }
}

// Lookahead sets how many slots of a token's shared schedule may be handed
// out ahead of their time (the GCRA burst is n+1). Requests still go at
// their slot's time, never sooner, so this hides Redis round trips and
// lets waiting requests go exactly on schedule; it never lets requests
// bunch up. Zero or negative keeps DefaultLookahead.
func Lookahead(n int) Option {
	return func(c *config) { c.lookahead = n }
}

// Timeout bounds each Redis round trip of the limiter; one that takes
// longer counts as Redis being unreachable. The limiter stops waiting then
// whatever rdb's own timeouts are. Zero or negative keeps DefaultTimeout.
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// ProbeInterval sets how often, at most, the limiter asks an unreachable
// Redis whether it is back. Zero or negative keeps DefaultProbeInterval.
func ProbeInterval(d time.Duration) Option {
	return func(c *config) { c.probe = d }
}
