package vkmock

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stalledConns opens n connections to addr that stop half-way: the odd
// ones inside their headers, the even ones inside a body announced with
// Content-Length: 100 (3 bytes sent).
func stalledConns(t testing.TB, addr string, n int) []net.Conn {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(2*n+200) {
		t.Skipf("the file-descriptor limit %d is below the %d this test needs (ulimit -n)", lim.Cur, 2*n+200)
	}
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		part := "POST /method/users.get HTTP/1.1\r\nHost: mock\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nv=5"
		if i%2 == 1 {
			part = "GET /method/users.get?v=5.199 HTTP/1.1\r\nHost: mock\r\nX-Stalled: "
		}
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	return conns
}

// isOpen reports whether the server has not closed c, without waiting.
func isOpen(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// waitClosed reads c until the server closes it, and fails when that does
// not happen within limit (a bound against hanging, not a measure).
func waitClosed(t testing.TB, c net.Conn, limit time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection %s still open after %v: the server has no read timeout", c.LocalAddr(), limit)
	}
}

// With 1 000 stalled connections open, an honest request is still
// answered; the stalled ones are left alone until their read timeout.
func TestStalledConnectionsDoNotBlockOthers(t *testing.T) {
	s := testServer(t, WithTimeouts(Timeouts{Read: time.Minute}))
	conns := stalledConns(t, strings.TrimPrefix(s.URL(), "http://"), 1000)
	a := call(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token, "user_ids", "1"))
	if a.code() != 0 {
		t.Fatalf("honest request: %s", a.body)
	}
	for i, c := range conns {
		if !isOpen(c) {
			t.Fatalf("stalled connection %d closed before its read timeout", i)
		}
	}
}

// Each stalled connection is closed once its read timeout passes, and an
// idle keep-alive connection once its idle timeout does.
func TestStalledConnectionsClosedAfterReadTimeout(t *testing.T) {
	s := testServer(t, WithTimeouts(Timeouts{Read: 200 * time.Millisecond, Idle: 200 * time.Millisecond}))
	addr := strings.TrimPrefix(s.URL(), "http://")
	conns := stalledConns(t, addr, 1000)
	// An idle keep-alive connection, after one whole request.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /__vkmock/version HTTP/1.1\r\nHost: mock\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		waitClosed(t, c, 10*time.Second)
	}
	waitClosed(t, idle, 10*time.Second)
}

// Serve (the server of `vk mock`) applies the timeouts too.
func TestServeAppliesTimeouts(t *testing.T) {
	s := MustNew(WithTimeouts(Timeouts{Read: time.Second, MaxHeaderBytes: 4096}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, nil, time.Second) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	for _, c := range stalledConns(t, ln.Addr().String(), 4) {
		waitClosed(t, c, 10*time.Second)
	}
	// Headers over MaxHeaderBytes get 431.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /__vkmock/version HTTP/1.1\r\nHost: mock\r\nX-Big: "+strings.Repeat("b", 8192)+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// BenchmarkStalledConnections measures an honest request while 1 000
// stalled connections are open, against a bare net/http server with the
// same timeouts: ns/op is the mean, max-ms the slowest answer.
func BenchmarkStalledConnections(b *testing.B) {
	for _, mode := range []string{"vkmock", "bare"} {
		b.Run(mode, func(b *testing.B) {
			var url, token string
			if mode == "vkmock" {
				s := testServer(b, WithRateLimits(false), WithTimeouts(Timeouts{Read: time.Minute}))
				url, token = s.URL(), s.Tokens().Of(TokenUser).Token
			} else {
				ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := r.ParseForm(); err != nil {
						http.Error(w, err.Error(), http.StatusBadRequest)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{"response":[{"id":1}]}`)
				}))
				ts.Config.ReadTimeout, ts.Config.IdleTimeout = time.Minute, DefaultIdleTimeout
				ts.Start()
				b.Cleanup(ts.Close)
				url = ts.URL
			}
			stalledConns(b, strings.TrimPrefix(url, "http://"), 1000)
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			var slowest time.Duration
			for b.Loop() {
				start := time.Now()
				req, _ := http.NewRequest(http.MethodGet, url+"/method/users.get?v=5.199&user_ids=1", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				slowest = max(slowest, time.Since(start))
			}
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
		})
	}
}
