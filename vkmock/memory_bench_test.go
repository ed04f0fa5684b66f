package vkmock

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The memory target of issue 10, measured on a real process: the mock (or,
// as the baseline, a bare net/http server that reads the same forms) runs
// in a child process, the benchmark sends it 300 requests with an 8 MB
// parameter and then 200 000 wall.post, and reads the child's resident
// memory from /proc/PID/status: VmHWM (the peak) and VmRSS (at the end).
// VKMOCK_MEM_BIG and VKMOCK_MEM_POSTS change the counts.

// TestMemoryChild is the child process of BenchmarkMemory; it is skipped
// otherwise.
func TestMemoryChild(t *testing.T) {
	mode := os.Getenv("VKMOCK_MEMORY_CHILD")
	if mode == "" {
		t.Skip("the child process of BenchmarkMemory")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes stdin to stop
		cancel()
	}()
	if mode == "bare" {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, DefaultMaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"response":1}`)
		}), ReadTimeout: DefaultReadTimeout, IdleTimeout: DefaultIdleTimeout}
		go func() { <-ctx.Done(); srv.Close() }()
		fmt.Printf("token - addr %s\n", ln.Addr())
		_ = srv.Serve(ln)
		return
	}
	s := MustNew(WithRateLimits(false))
	fmt.Printf("token %s addr %s\n", s.Tokens().Of(TokenUser).Token, ln.Addr())
	if err := s.Serve(ctx, ln, nil, time.Second); err != nil {
		t.Fatal(err)
	}
}

// procStatus reads fields of /proc/PID/status, in MB.
func procStatus(pid int) (rss, hwm float64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func BenchmarkMemory(b *testing.B) {
	big, posts := envInt("VKMOCK_MEM_BIG", 300), envInt("VKMOCK_MEM_POSTS", 200_000)
	for _, mode := range []string{"vkmock", "bare"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				memoryRun(b, mode, big, posts)
			}
		})
	}
}

func memoryRun(b *testing.B, mode string, big, posts int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "VKMOCK_MEMORY_CHILD="+mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	var token, addr string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "token" {
			token, addr = f[1], f[3]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if addr == "" {
		b.Fatal("the child printed no address")
	}
	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	_, startHWM, _ := procStatus(cmd.Process.Pid)
	post := func(method, body string) {
		resp, err := client.Post(base+"/method/"+method, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", method, resp.StatusCode)
		}
	}
	junk := strings.Repeat("x", 8_000_000)
	for i := range big {
		post("users.get", "v=5.199&access_token="+token+"&user_ids=1&i="+strconv.Itoa(i)+"&junk="+junk)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(posts) {
					return
				}
				post("wall.post", "v=5.199&access_token="+token+"&message="+url.QueryEscape("post number "+strconv.FormatInt(i, 10)))
			}
		}()
	}
	wg.Wait()
	start := time.Now()
	resp, err := client.Get(base + "/__vkmock/requests")
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	rss, hwm, err := procStatus(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(startHWM, "start-MB")
	b.ReportMetric(hwm, "peak-RSS-MB")
	b.ReportMetric(rss, "end-RSS-MB")
	b.ReportMetric(float64(took.Milliseconds()), "log-GET-ms")
	b.ReportMetric(float64(n)/(1<<20), "log-MB")
	if mode == "vkmock" && big >= 300 && posts >= 200_000 && (hwm >= 300 || took >= time.Second) {
		b.Errorf("target missed: peak RSS %.0f MB (want < 300), GET /__vkmock/requests %v (want < 1 s)", hwm, took)
	}
}
