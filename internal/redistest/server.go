package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server child process of a test, on a free port of
// 127.0.0.1, killed when the test ends. A test that needs Redis to go away
// kills it and starts it again on the same port (Kill, Start), from any
// goroutine; a test that only needs a Redis calls Addr, which lets CI
// bring its own.
type Server struct {
	// Addr is host:port, the same across restarts.
	Addr string

	bin  string
	args []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// StartServer starts a redis-server for t that saves nothing, or does
// what the redis-server arguments args add (they come last, so they win):
// "--dir", t.TempDir(), "--appendonly", "yes" keeps an append-only file
// across Kill and Start. Without redis-server the test is Unavailable.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(t, "%v", err)
	}
	s := &Server{bin: bin, args: args}
	t.Cleanup(s.Kill)
	// The free port may be taken between asking and listening: try a few.
	var last error
	for range 3 {
		var port int
		if port, last = freePort(); last != nil {
			continue
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		if last = s.Start(); last == nil {
			return s
		}
	}
	Unavailable(t, "starting redis-server: %v", last)
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

// Start runs redis-server on Addr (again, after Kill) and waits until it
// answers, at most 5 s. It returns an error rather than failing the test,
// so that it may run on a goroutine of the test.
func (s *Server) Start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	out := &bytes.Buffer{}
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning"}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	// redis-server takes a moment to listen: poll it (an external process
	// has no event to wait on).
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %s", out.String())
		default:
		}
		if ping(s.Addr, 0) == nil {
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s does not answer: %s", s.Addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the server with SIGKILL (no goodbye to its clients, nothing
// saved but an append-only file fsynced before each answer) and waits for
// it to exit. It does nothing when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// ping asks addr for PONG until it answers or within has passed (one try
// when within is 0).
func ping(addr string, within time.Duration) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
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
