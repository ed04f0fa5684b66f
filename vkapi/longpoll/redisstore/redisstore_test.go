package redisstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/longpoll"
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
	if pos, err := s.Load(ctx, 1); pos.TS != "" || pos.Handled != nil || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	want := longpoll.Position{TS: "42", Handled: []string{"a1", "#2"}}
	if err := s.Save(ctx, 1, want); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, 2, longpoll.Position{TS: "7"}); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.Load(ctx, 1); pos.TS != "42" || !slices.Equal(pos.Handled, want.Handled) || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	if pos, _ := s.Load(ctx, 2); pos.TS != "7" || len(pos.Handled) != 0 {
		t.Fatalf("communities share a key: %+v", pos)
	}
	if err := s.Save(ctx, 1, longpoll.Position{TS: "43"}); err != nil {
		t.Fatal(err)
	}
	if pos, _ := s.Load(ctx, 1); pos.TS != "43" || len(pos.Handled) != 0 {
		t.Fatalf("the handled events of the old ts stayed: %+v", pos)
	}
	// A key of the per-answer format (a bare ts) still loads.
	if err := rdb.Set(ctx, s.key(4), "17", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.Load(ctx, 4); pos.TS != "17" || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	if err := rdb.Set(ctx, s.key(3), "junk", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, 3); err == nil {
		t.Fatal("junk loaded as a position")
	}
	// A Redis that does not answer fails within the timeout.
	dead := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), "")
	dead.Timeout = 100 * time.Millisecond
	if err := dead.Save(ctx, 1, longpoll.Position{TS: "1"}); err == nil {
		t.Fatal("saved to nowhere")
	}
}
