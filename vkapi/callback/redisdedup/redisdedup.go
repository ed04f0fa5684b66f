// Package redisdedup is a callback.Dedup kept in Redis, so that replicas
// of a Callback API receiver behind one URL handle each event_id once
// between them: a resend that lands on another replica while the event is
// being handled is answered 503 (VK sends it again), and one after it was
// handled is answered "ok" and not handled again.
//
// Each event_id is one key (so any Redis topology works, a Cluster
// included: no script touches two keys). A claim sets it, if absent, to an
// in-flight value naming the Dedup that claimed it, expiring after
// ClaimTTL: a replica that dies while handling does not hold the event
// for longer, and VK's next resend after that is handled. Finish makes it
// final for TTL; Release deletes it only while it is still this Dedup's
// in-flight claim. It lives in its own package so that a bot without
// Redis does not compile go-redis.
package redisdedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/callback"
)

// Defaults of Options.
const (
	// DefaultTTL is how long a final claim is kept: longer than VK goes on
	// resending one event (its series of retries ends within hours).
	DefaultTTL = 24 * time.Hour
	// DefaultClaimTTL is how long an in-flight claim is kept when its
	// replica neither finishes nor releases it (it died): well over the
	// receiver's handler timeout and queue wait.
	DefaultClaimTTL = time.Minute
	DefaultPrefix   = "vkerr:callback:event:"
)

// Options configure a Dedup. The zero value keeps final claims DefaultTTL
// and in-flight ones DefaultClaimTTL under DefaultPrefix.
type Options struct {
	// TTL is the life of a final claim (default DefaultTTL).
	TTL time.Duration
	// ClaimTTL is the life of an in-flight claim (default
	// DefaultClaimTTL); keep it over the receiver's HandlerTimeout.
	ClaimTTL time.Duration
	// Prefix starts every key (default DefaultPrefix); give each bot its
	// own when several share a Redis.
	Prefix string
}

// Dedup implements callback.Dedup with Redis. It is safe for concurrent
// use; its Redis client's timeouts bound each call.
type Dedup struct {
	rdb      redis.Cmdable
	ttl      time.Duration
	claimTTL time.Duration
	prefix   string
	owner    string // the in-flight value of this Dedup's claims
}

// New returns a Dedup on rdb (a *redis.Client, a cluster or a ring).
func New(rdb redis.Cmdable, o Options) *Dedup {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.ClaimTTL <= 0 {
		o.ClaimTTL = DefaultClaimTTL
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &Dedup{rdb: rdb, ttl: o.TTL, claimTTL: o.ClaimTTL, prefix: o.Prefix, owner: inFlight + hex.EncodeToString(b[:])}
}

// inFlight starts the value of an in-flight claim; a final claim's value
// is finished (any other value, as the "1" of older versions, counts as
// final too).
const (
	inFlight = "p:"
	finished = "d"
)

// claimScript sets the key to ARGV[1] for ARGV[2] ms when it is absent
// (0), else tells whether it is in flight (1) or final (2).
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) == 'p:' then return 1 end
return 2`)

// releaseScript deletes the key while it holds ARGV[1].
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Claim implements callback.Dedup.
func (d *Dedup) Claim(ctx context.Context, id string) (callback.ClaimStatus, error) {
	n, err := claimScript.Run(ctx, d.rdb, []string{d.prefix + id}, d.owner, d.claimTTL.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("redisdedup: claim: %w", err)
	}
	switch n {
	case 0:
		return callback.Claimed, nil
	case 1:
		return callback.InFlight, nil
	}
	return callback.Finished, nil
}

// Finish implements callback.Dedup: the key becomes final for TTL.
func (d *Dedup) Finish(ctx context.Context, id string) error {
	if err := d.rdb.Set(ctx, d.prefix+id, finished, d.ttl).Err(); err != nil {
		return fmt.Errorf("redisdedup: finish: %w", err)
	}
	return nil
}

// Release implements callback.Dedup: the key is deleted if it is still
// this Dedup's in-flight claim (not one another replica took after it
// expired, nor a final one).
func (d *Dedup) Release(ctx context.Context, id string) error {
	if err := releaseScript.Run(ctx, d.rdb, []string{d.prefix + id}, d.owner).Err(); err != nil {
		return fmt.Errorf("redisdedup: release: %w", err)
	}
	return nil
}
