package redisstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis returns a client of $VKERR_REDIS_ADDR (what .ci/run starts),
// or of a redis-server child started for the test. Without Redis the test
// skips, except under CI=true, where it fails.
func testRedis(t *testing.T) *redis.Client {
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
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	// redis-server takes a moment to listen: poll it (an external process
	// has no event to wait on), for at most five seconds.
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			unavailable("%s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return rdb
}

func TestStore(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	if ts, err := s.Load(ctx, 1); ts != "" || err != nil {
		t.Fatalf("%q %v", ts, err)
	}
	if err := s.Save(ctx, 1, "42"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, 2, "7"); err != nil {
		t.Fatal(err)
	}
	if ts, err := s.Load(ctx, 1); ts != "42" || err != nil {
		t.Fatalf("%q %v", ts, err)
	}
	if ts, _ := s.Load(ctx, 2); ts != "7" {
		t.Fatalf("communities share a key: %q", ts)
	}
	if err := rdb.Set(ctx, s.key(3), "junk", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, 3); err == nil {
		t.Fatal("junk loaded as a ts")
	}
	// A Redis that does not answer fails within the timeout.
	dead := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), "")
	dead.Timeout = 100 * time.Millisecond
	if err := dead.Save(ctx, 1, "1"); err == nil {
		t.Fatal("saved to nowhere")
	}
}
