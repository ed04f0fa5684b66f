package eventqueue

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	// heartbeatScript records a member of a group as alive until now +
	// ARGV[2] ms (Redis's clock, so that members on machines whose clocks
	// differ agree), forgets members past their time, and answers how many
	// are alive.
	heartbeatScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("ZADD", KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
return redis.call("ZCARD", KEYS[1])`)
	leaveScript   = redis.NewScript(`return redis.call("ZREM", KEYS[1], ARGV[1])`)
	acquireScript = redis.NewScript(`if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 else return 0 end`)
	renewScript   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`)
)

// share is how many of n partitions each of members consumers holds.
func share(n, members int) int {
	if members < 1 {
		members = 1
	}
	return (n + members - 1) / members
}

// firstPartition is where a consumer starts looking for free partitions,
// so that consumers starting together do not all race for partition 0.
func firstPartition(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// rebalance renews the leases c holds, gives up those past its share, and
// takes free ones up to its share. It runs on Run's goroutine only.
func (c *Consumer) rebalance(ctx context.Context) error {
	ttl := c.cfg.LeaseTTL.Milliseconds()
	members, err := heartbeatScript.Run(ctx, c.rdb, []string{c.keys.members(c.cfg.Group)}, c.id, ttl).Int()
	if err != nil {
		return errorf("heartbeat", err)
	}
	for part, w := range c.held {
		sent := time.Since(c.epoch)
		ok, err := renewScript.Run(ctx, c.rdb, []string{c.keys.lease(c.cfg.Group, part)}, c.id, ttl).Int()
		if err != nil {
			return errorf("renew a lease", err)
		}
		if ok == 0 {
			c.log.Warn("eventqueue: lost the lease of a partition", "partition", part)
			w.stop()
			delete(c.held, part)
			continue
		}
		c.renewed(w, sent)
	}
	c.reap()
	want := share(c.opts.Partitions, members)
	for part, w := range c.held {
		if len(c.held) <= want {
			break
		}
		w.stop()
		delete(c.held, part)
	}
	start := firstPartition(c.id, c.opts.Partitions)
	for k := 0; k < c.opts.Partitions && len(c.held) < want; k++ {
		part := (start + k) % c.opts.Partitions
		if _, ok := c.held[part]; ok {
			continue
		}
		if c.stopping[part] {
			continue // its worker is still finishing an entry
		}
		sent := time.Since(c.epoch)
		got, err := acquireScript.Run(ctx, c.rdb, []string{c.keys.lease(c.cfg.Group, part)}, c.id, ttl).Int()
		if err != nil {
			return errorf("take a lease", err)
		}
		if got == 1 {
			c.start(part, sent)
		}
	}
	return nil
}
