package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// TestMockCommand starts vk mock on a free port, calls it over HTTP with the
// token it printed, and stops it by cancelling its context.
func TestMockCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetArgs([]string{"mock", "--addr", "127.0.0.1:0", "--quiet"})
	root.SetOut(pw)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()

	var addr, token string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			addr = rest
		}
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "user" {
			token = f[1]
		}
		if strings.HasPrefix(line, "try:") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" || token == "" {
		t.Fatalf("banner lacks the address or the user token: %q %q", addr, token)
	}
	req, _ := http.NewRequest("GET", addr+"/method/utils.getServerTime?v=5.199", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := vkerr.CheckResponse(resp, 0)
	resp.Body.Close()
	if err != nil || len(raw) == 0 {
		t.Fatalf("utils.getServerTime: %s, %v", raw, err)
	}
	resp, err = http.Get(addr + "/method/utils.getServerTime?v=5.199")
	if err != nil {
		t.Fatal(err)
	}
	_, err = vkerr.CheckResponse(resp, 0)
	resp.Body.Close()
	if !errors.Is(err, vkerr.Auth) {
		t.Errorf("no token: %v, want error 5", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("vk mock: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("vk mock did not stop")
	}
}

func TestMockCommandBadConfig(t *testing.T) {
	if code, _, errOut := vk(t, "", "mock", "--config", "/no/such/config.json"); code != 2 || errOut == "" {
		t.Errorf("bad config: %d %q", code, errOut)
	}
}

// The limit flags reach the server, only when given, and bad values are
// refused.
func TestMockLimitFlags(t *testing.T) {
	var m mockLimits
	f := &cobra.Command{}
	m.register(f)
	if err := f.ParseFlags([]string{"--read-timeout", "5s", "--idle-timeout", "1m", "--max-posts", "7", "--request-log-bytes", "4096"}); err != nil {
		t.Fatal(err)
	}
	c, err := vkmock.ParseConfig(strings.NewReader(`{"limits": {"messages": 9, "posts": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := vkmock.New(append([]vkmock.Option{vkmock.WithConfig(c)}, m.options(f)...)...)
	if err != nil {
		t.Fatal(err)
	}
	l, to := s.Limits(), s.Timeouts()
	if to.Read != 5*time.Second || to.Idle != time.Minute || to.Write != vkmock.DefaultWriteTimeout {
		t.Fatalf("timeouts %+v", to)
	}
	if l.Posts != 7 || l.Messages != 9 || l.RequestLogBytes != 4096 || l.RequestLogSize != vkmock.DefaultRequestLogSize {
		t.Fatalf("limits %+v", l)
	}
	f = &cobra.Command{}
	m.register(f)
	if err := f.ParseFlags([]string{"--max-posts", "-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := vkmock.New(m.options(f)...); err == nil {
		t.Fatal("--max-posts -1 accepted")
	}
}
