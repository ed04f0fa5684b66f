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

	"github.com/vkerr/vkerr"
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
