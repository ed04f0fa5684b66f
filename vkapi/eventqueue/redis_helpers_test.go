package eventqueue

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/redis/go-redis/v9"
)

// redisClientLike is a second client of the same Redis, which the test may
// close to play a process that died.
func redisClientLike(t *testing.T, rdb *redis.Client) *redis.Client {
	o := *rdb.Options()
	c := redis.NewClient(&o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func redisReadArgs(c *Consumer, stream string, n int64) *redis.XReadGroupArgs {
	return &redis.XReadGroupArgs{Group: c.cfg.Group, Consumer: c.id, Streams: []string{stream, ">"}, Count: n, Block: -1}
}

// noLeaks checks, after every other cleanup of the test (its Redis clients
// closed), that no goroutine it started is left.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}
