// Package redistest gives tests a Redis: the one CI starts
// ($VKERR_REDIS_ADDR), or a redis-server child started for the test. Without
// Redis the test is skipped, except under CI=true, where it fails: CI must
// not pass by skipping what it is there to check.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
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
// when the test ends.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("VKERR_REDIS_ADDR")
	if addr == "" {
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			Unavailable(t, "%v", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			Unavailable(t, "%v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		addr = "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			Unavailable(t, "%v", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	rdb := Client(t, addr)
	// redis-server takes a moment to listen: poll it (an external process
	// has no event to wait on), for at most five seconds.
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			Unavailable(t, "%s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
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
