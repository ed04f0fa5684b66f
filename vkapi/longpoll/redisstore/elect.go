package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/internal/retry"
	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// Many replicas, one poller: RunElected lets replicas of a bot compete for
// a lease in Redis (SET NX with a time to live, renewed at a third of it).
// The holder polls; the others wait. Each lease carries a fencing token
// from a counter (INCR, in the same script as the SET NX, so that each
// term's token is above every earlier term's), and the store handed to the
// holder saves the position only while the lease still holds that token (a
// script checks it and writes the position in the same atomic step), so a
// poller that lost its lease (paused, partitioned) can never overwrite its
// successor's position. The holder saves after each event whose handler
// returned; when it dies, its lease runs out and another replica takes
// over from the stored position, skipping the events of the answer
// already handled.

// DefaultLeaseTTL is the lease's time to live when RunElected gets 0.
const DefaultLeaseTTL = 10 * time.Second

// ErrLeaseLost is the error of a fenced Save after the lease moved on.
var ErrLeaseLost = errors.New("redisstore: the lease is held by another replica")

var (
	// acquireScript takes a free lease with the next fencing token, in one
	// atomic step: the token counts terms, not attempts, and no replica
	// can take the lease with a token drawn before another's term.
	acquireScript = redis.NewScript(`if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
local fence = redis.call("INCR", KEYS[2])
redis.call("SET", KEYS[1], ARGV[1] .. ":" .. string.format("%d", fence), "PX", ARGV[2])
return fence`)
	renewScript   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`)
)

// Lease identifies a held lease: its value in Redis is the replica's id and
// the fencing token.
type Lease struct {
	GroupID int64
	Fence   int64
	value   string
}

// fencedStore is the Store of a lease holder.
type fencedStore struct {
	*Store
	lease Lease
	lost  context.CancelFunc // ends the holder's poll
}

// Save stores pos if the lease is still held, else ends the holder's poll
// at once (it would handle events its successor handles too) and fails
// with ErrLeaseLost.
func (f fencedStore) Save(ctx context.Context, groupID int64, pos longpoll.Position) error {
	held, err := f.save(ctx, groupID, pos, f.lease)
	if err != nil {
		return err
	}
	if !held {
		f.lost()
		return ErrLeaseLost
	}
	return nil
}

// leaseKey and fenceKey share the position key's hash tag (the community
// id in braces), so that every script's keys are in one slot of a Redis
// Cluster.
func (s *Store) leaseKey(groupID int64) string { return s.prefix + "lease:" + tag(groupID) }
func (s *Store) fenceKey(groupID int64) string { return s.prefix + "fence:" + tag(groupID) }

// acquire tries to take the lease once.
func (s *Store) acquire(ctx context.Context, groupID int64, replica string, ttl time.Duration) (Lease, bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	fence, err := acquireScript.Run(ctx, s.rdb, []string{s.leaseKey(groupID), s.fenceKey(groupID)}, replica, ttl.Milliseconds()).Int64()
	if err != nil || fence == 0 {
		return Lease{}, false, err
	}
	return Lease{GroupID: groupID, Fence: fence, value: replica + ":" + strconv.FormatInt(fence, 10)}, true, nil
}

// RunElected competes for the community's lease until ctx ends. While
// this replica holds it, poll runs with a context that ends when the lease
// is lost (a renewal or a save finds it gone), and with a Store that saves
// only under the lease; poll is
// typically a fresh longpoll.Poller's Run. An error of poll other than its
// context's ends RunElected (a *longpoll.ServerError needs a person).
// ttl 0 is DefaultLeaseTTL.
func (s *Store) RunElected(ctx context.Context, groupID int64, ttl time.Duration, poll func(ctx context.Context, store longpoll.Store, lease Lease) error) error {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	replica := hex.EncodeToString(b[:])
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		lease, ok, err := s.acquire(ctx, groupID, replica, ttl)
		if err != nil || !ok {
			_ = retry.Sleep(ctx, ttl/3)
			continue
		}
		lctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { // renew the lease, or end the holder's poll
			defer cancel()
			t := time.NewTicker(ttl / 3)
			defer t.Stop()
			for {
				select {
				case <-lctx.Done():
					return
				case <-t.C:
				}
				rctx, rcancel := s.ctx(lctx)
				n, err := renewScript.Run(rctx, s.rdb, []string{s.leaseKey(groupID)}, lease.value, ttl.Milliseconds()).Int()
				rcancel()
				if err != nil || n != 1 {
					return
				}
			}
		})
		err = poll(lctx, fencedStore{s, lease, cancel}, lease)
		lost := lctx.Err() != nil && ctx.Err() == nil
		cancel()
		wg.Wait()
		rctx, rcancel := s.ctx(context.WithoutCancel(ctx))
		_ = releaseScript.Run(rctx, s.rdb, []string{s.leaseKey(groupID)}, lease.value).Err()
		rcancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !lost && !errors.Is(err, context.Canceled) {
			return err
		}
	}
}
