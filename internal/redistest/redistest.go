// Package redistest gives tests a Redis: the one CI starts
// ($VKERR_REDIS_ADDR), or a redis-server child started for the test. Without
// Redis the test is skipped, except under CI=true, where it fails: CI must
// not pass by skipping what it is there to check.
package redistest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// HowToGetRedis is what a run without Redis is told, once.
const HowToGetRedis = "the Redis tests need a redis-server: install one (apt-get install redis-server, " +
	"brew install redis; the tests start it themselves) or point VKERR_REDIS_ADDR=host:port at a running one"

var told sync.Once

// Unavailable skips the test with the reason, or fails it under CI=true.
// The first skip of a test binary says how to get a Redis (on standard
// error, so it shows without -v too); the others give the reason alone.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("Redis is required in CI: "+format, args...)
	}
	told.Do(func() { fmt.Fprintln(os.Stderr, "redistest: no Redis, so its tests are skipped: "+HowToGetRedis) })
	t.Skipf("no Redis: "+format, args...)
}

// Addr returns the address of a Redis that answers: $VKERR_REDIS_ADDR, or
// a redis-server started for the test on a free loopback port and killed
// when the test ends (StartServer).
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("VKERR_REDIS_ADDR")
	if addr == "" {
		return StartServer(t).Addr
	}
	if err := ping(addr, 5*time.Second); err != nil {
		Unavailable(t, "VKERR_REDIS_ADDR=%s does not answer: %v", addr, err)
	}
	return addr
}

// Client is a client of addr with short timeouts, closed when the test
// ends.
func Client(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
