// Package redisstore keeps a Long Poll poller's position (the ts and the
// events of its answer already handled) in Redis, so that a bot's replicas
// and restarts resume after the last event whose handler returned.
// It is a package of its own so that users of vkapi/longpoll who do not
// use Redis do not compile go-redis.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	p := longpoll.New(api, longpoll.Config{Handler: h, Store: redisstore.New(rdb, "")})
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// DefaultPrefix is the key prefix of New with an empty prefix; the
// community id follows it.
const DefaultPrefix = "vkerr:longpoll:ts:"

// DefaultTimeout bounds each Redis command of a Store whose Timeout is zero.
const DefaultTimeout = 2 * time.Second

// Store is a longpoll.Store in Redis: per community, the string key
// prefix{group_id} holds the position as longpoll.Position.MarshalBinary
// encoded it at its last new ts, and the list prefix handled:{group_id}
// that ts and the events handled since (save.go). A Save that adds events
// sends only their keys (one RPUSH); a new ts replaces both keys in one
// script, so a crash leaves the old or the new position, never a mix. The
// community's list, lease and fence keys carry the same hash tag, so it works with a Redis
// Cluster or Ring as with one node. A position saved under the key of
// earlier versions (prefix+group_id, no braces) is read when the tagged key
// does not exist. The lease keys of RunElected moved too: replicas of an
// earlier version do not see the lease of this one, so stop them all before
// starting replicas of this version (no rolling upgrade across it).
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// Timeout bounds each command (DefaultTimeout when zero): a poller
	// never waits on a Redis that does not answer for longer.
	Timeout time.Duration

	last lastSaves // what each community's last Save wrote
}

var _ longpoll.Store = (*Store)(nil)

// New returns a store on rdb with keys prefix{group_id} (DefaultPrefix when
// prefix is empty).
func New(rdb redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, prefix: prefix}
}

// tag is the hash tag of a community's keys: its id in braces, so that a
// Redis Cluster (or a client that shards by slot) keeps the keys of one
// community, which the scripts use together, in one slot.
func tag(groupID int64) string { return "{" + strconv.FormatInt(groupID, 10) + "}" }

// key is the community's position key: prefix{group_id}.
func (s *Store) key(groupID int64) string { return s.prefix + tag(groupID) }

// listKey is the community's list of the events handled at the
// position's ts: prefix handled:{group_id}.
func (s *Store) listKey(groupID int64) string { return s.prefix + "handled:" + tag(groupID) }

// legacyKey is the position key before hash tags (prefix+group_id), read
// when the tagged key does not exist yet.
func (s *Store) legacyKey(groupID int64) string { return s.prefix + strconv.FormatInt(groupID, 10) }

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.Timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// Load returns the saved position, the zero Position when none is saved.
// A key holding a bare ts (the format before positions) or a position
// with its handled events inline (the format before the list) loads too.
func (s *Store) Load(ctx context.Context, groupID int64) (longpoll.Position, error) {
	s.last.forget(groupID)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	key := s.key(groupID)
	var get *redis.StringCmd
	var lrange *redis.StringSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, key)
		lrange = p.LRange(ctx, s.listKey(groupID), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return longpoll.Position{}, err
	}
	b, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		key = s.legacyKey(groupID)
		b, err = s.rdb.Get(ctx, key).Bytes()
	}
	if errors.Is(err, redis.Nil) {
		return longpoll.Position{}, nil
	}
	if err != nil {
		return longpoll.Position{}, err
	}
	var pos longpoll.Position
	if err := pos.UnmarshalBinary(b); err != nil {
		return longpoll.Position{}, fmt.Errorf("redisstore: %w (DEL %s to start from the server's ts)", err, key)
	}
	if l := lrange.Val(); len(l) > 0 && l[0] == pos.TS {
		pos.Handled = append(pos.Handled, l[1:]...)
	}
	return pos, nil
}

// Save stores pos: the keys of the events added since the last Save of
// the same ts, or the whole position.
func (s *Store) Save(ctx context.Context, groupID int64, pos longpoll.Position) error {
	_, err := s.save(ctx, groupID, pos, Lease{})
	return err
}
