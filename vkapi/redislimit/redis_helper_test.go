package redislimit

import (
	"bytes"
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

	"github.com/vkerr/vkerr/internal/redistest"
)

// Redis for the tests. .ci/run starts a redis-server and exports its
// address as VKERR_REDIS_ADDR; without it the tests start their own
// redis-server child. When neither works they skip, except under CI=true,
// where a test that needs Redis fails.

// redisUnavailable skips the test (saying once how to get a Redis), or
// fails it under CI=true.
var redisUnavailable = redistest.Unavailable

// testRedisAddr returns the address of a Redis for the test: the CI one
// (VKERR_REDIS_ADDR), else a private one started for the test.
func testRedisAddr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("VKERR_REDIS_ADDR"); a != "" {
		if err := pingRedis(a, 2*time.Second); err != nil {
			redisUnavailable(t, "VKERR_REDIS_ADDR=%s does not answer: %v", a, err)
		}
		return a
	}
	return startRedis(t).addr
}

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

func pingRedis(addr string, within time.Duration) error {
	rdb := redis.NewClient(redisTestOptions(addr))
	defer rdb.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisServer is a private redis-server child process, killed when the test
// ends.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// startRedis starts a private redis-server on a free port of 127.0.0.1,
// without persistence.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		redisUnavailable(t, "%v", err)
	}
	r := &redisServer{t: t, bin: bin}
	t.Cleanup(r.kill)
	var last error
	for range 3 {
		if r.port, err = freePort(); err != nil {
			last = err
			continue
		}
		r.addr = "127.0.0.1:" + strconv.Itoa(r.port)
		if last = r.start(); last == nil {
			return r
		}
	}
	redisUnavailable(t, "starting redis-server: %v", last)
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on r.port and waits until it answers.
func (r *redisServer) start() error {
	out := &bytes.Buffer{}
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %s", out.String())
		default:
		}
		if pingRedis(r.addr, 0) == nil {
			r.mu.Lock()
			r.cmd, r.exited = cmd, exited
			r.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s does not answer: %s", r.addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills the server (SIGKILL: no goodbye to its clients) and waits for
// it to exit.
func (r *redisServer) kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd, r.exited = nil, nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// restart starts the server again on the same port, empty.
func (r *redisServer) restart() error {
	r.kill()
	return r.start()
}
