package redislimit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis for the tests: internal/redistest's, the CI one (VKERR_REDIS_ADDR)
// or a redis-server child started for the test (redistest.Addr), and a
// private child for the tests that kill Redis (redistest.StartServer).

// testRedisClient is a client of addr with the short timeouts a limiter's
// Redis client should have, closed when the test ends.
func testRedisClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	quietRedis.Do(func() { redis.SetLogger(discardRedisLog{}) })
	rdb := redis.NewClient(redisTestOptions(addr))
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// quietRedis silences go-redis's own log (dial failures) in the tests,
// which kill Redis on purpose.
var quietRedis sync.Once

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

func redisTestOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:         addr,
		DialTimeout:  200 * time.Millisecond,
		ReadTimeout:  200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond,
		PoolTimeout:  200 * time.Millisecond,
		MaxRetries:   -1,
	}
}
