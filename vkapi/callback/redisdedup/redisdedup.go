// Package redisdedup is a callback.Dedup kept in Redis, so that replicas
// of a Callback API receiver behind one URL handle each event_id once
// between them: a resend that lands on another replica is answered "ok"
// and not handled again.
//
// Each claim is a SET key NX with an expiry (TTL): the first replica to set
// the key handles the event. It lives in its own package so that a bot
// without Redis does not compile go-redis.
package redisdedup

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Options.
const (
	// DefaultTTL is how long a claim is kept: longer than VK goes on
	// resending one event (its series of retries ends within hours).
	DefaultTTL    = 24 * time.Hour
	DefaultPrefix = "vkerr:callback:event:"
)

// Options configure a Dedup. The zero value keeps claims DefaultTTL under
// DefaultPrefix.
type Options struct {
	// TTL is the life of a claim (default DefaultTTL).
	TTL time.Duration
	// Prefix starts every key (default DefaultPrefix); give each bot its
	// own when several share a Redis.
	Prefix string
}

// Dedup implements callback.Dedup with Redis. It is safe for concurrent
// use; its Redis client's timeouts bound each call.
type Dedup struct {
	rdb    redis.Cmdable
	ttl    time.Duration
	prefix string
}

// New returns a Dedup on rdb (a *redis.Client, a cluster or a ring).
func New(rdb redis.Cmdable, o Options) *Dedup {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	return &Dedup{rdb: rdb, ttl: o.TTL, prefix: o.Prefix}
}

// Claim sets the id's key if it does not exist: true when this call set it.
func (d *Dedup) Claim(ctx context.Context, id string) (bool, error) {
	return d.rdb.SetNX(ctx, d.prefix+id, 1, d.ttl).Result()
}

// Release deletes the id's key.
func (d *Dedup) Release(ctx context.Context, id string) error {
	return d.rdb.Del(ctx, d.prefix+id).Err()
}
