package redisstore

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// How a position is kept: the string key prefix{g} holds the position as
// longpoll.Position.MarshalBinary encodes it when it was last replaced
// (a new ts), and the list prefix handled:{g} holds that ts, then the keys
// of the events handled since, one RPUSH per Save. A Save that only adds
// events to the position sends the new keys, not the whole position; a new
// ts replaces both keys in one script. A list whose head is not the
// position's ts is stale and ignored. Both scripts check the lease first
// when the store is a lease holder's, in the same atomic step.

var (
	// replaceScript: KEYS position, list[, lease]; ARGV lease value ("" for
	// none), the encoded position, its ts. 0 when the lease moved on.
	replaceScript = redis.NewScript(`if ARGV[1] ~= "" and redis.call("GET", KEYS[3]) ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[2])
redis.call("DEL", KEYS[2])
redis.call("RPUSH", KEYS[2], ARGV[3])
return 1`)
	// appendScript: KEYS list[, lease]; ARGV lease value, ts, the new
	// keys. 0 when the lease moved on, 2 when the list is not the ts's
	// (the caller replaces the position).
	appendScript = redis.NewScript(`if ARGV[1] ~= "" and redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call("LINDEX", KEYS[1], 0) ~= ARGV[2] then return 2 end
if #ARGV > 2 then redis.call("RPUSH", KEYS[1], unpack(ARGV, 3)) end
return 1`)
)

// maxAppend bounds the keys one append sends (Lua's unpack has a limit);
// more are sent by replacing the position.
const maxAppend = 1000

// saved is what a store last wrote for a community: a Save of the same ts,
// pts and lease whose Handled extends what was written (the poller only
// appends to Handled within one ts) sends only the rest.
type saved struct {
	ts    string
	pts   int64
	lease string
	n     int    // len(Handled) written
	tail  string // Handled[n-1], "" when n is 0
}

// lastSaves remembers each community's last write; a failed or unknown
// write forgets it, so the next Save replaces the position.
type lastSaves struct {
	mu sync.Mutex
	m  map[int64]saved
}

// take returns the last write and forgets it until the next one is known
// to have landed.
func (l *lastSaves) take(g int64) (saved, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.m[g]
	delete(l.m, g)
	return v, ok
}

func (l *lastSaves) set(g int64, v saved) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[int64]saved{}
	}
	l.m[g] = v
}

func (l *lastSaves) forget(g int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, g)
}

// save writes pos, fenced by lease when lease.value is not "": only the
// keys added since the last write when pos extends it, else the whole
// position. It returns false when the lease moved on.
func (s *Store) save(ctx context.Context, groupID int64, pos longpoll.Position, lease Lease) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	now := saved{ts: pos.TS, pts: pos.PTS, lease: lease.value, n: len(pos.Handled)}
	if now.n > 0 {
		now.tail = pos.Handled[now.n-1]
	}
	list := []string{s.listKey(groupID)}
	if lease.value != "" {
		list = append(list, s.leaseKey(groupID))
	}
	if last, ok := s.last.take(groupID); ok && last.ts == now.ts && last.pts == now.pts && last.lease == now.lease &&
		now.n >= last.n && now.n-last.n <= maxAppend && (last.n == 0 || pos.Handled[last.n-1] == last.tail) {
		args := make([]any, 0, 2+now.n-last.n)
		args = append(args, lease.value, pos.TS)
		for _, k := range pos.Handled[last.n:] {
			args = append(args, k)
		}
		n, err := appendScript.Run(ctx, s.rdb, list, args...).Int()
		switch {
		case err != nil:
			return true, err
		case n == 0:
			return false, nil
		case n == 1:
			s.last.set(groupID, now)
			return true, nil
		}
	}
	b, err := pos.MarshalBinary()
	if err != nil {
		return true, err
	}
	keys := []string{s.key(groupID), list[0]}
	if lease.value != "" {
		keys = append(keys, s.leaseKey(groupID))
	}
	n, err := replaceScript.Run(ctx, s.rdb, keys, lease.value, b, pos.TS).Int()
	switch {
	case err != nil:
		return true, err
	case n == 0:
		return false, nil
	}
	s.last.set(groupID, now)
	return true, nil
}
