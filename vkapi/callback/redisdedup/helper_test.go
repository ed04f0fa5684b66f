package redisdedup

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisAddr is $VKERR_REDIS_ADDR (what .ci/run starts), or a
// redis-server child started for the test. Without Redis the test skips,
// except under CI=true, where it fails.
func testRedisAddr(t testing.TB) string {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required in CI: "+format, args...)
		}
		t.Skipf("no Redis: "+format, args...)
	}
	addr := os.Getenv("VKERR_REDIS_ADDR")
	if addr == "" {
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			unavailable("%v", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			unavailable("%v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		addr = "127.0.0.1:" + strconv.Itoa(port)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			unavailable("%v", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	rdb := testClient(t, addr)
	// redis-server takes a moment to listen: poll it (an external process
	// has no event to wait on), for at most five seconds.
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			unavailable("%s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

func testClient(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testPrefix is a key prefix of the test's own, so that runs sharing a
// Redis do not see each other's claims.
func testPrefix(t testing.TB) string {
	return "vkerr-test:" + t.Name() + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}
