package main

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
)

// TestInWords pins the texts the command line prints for the failures a
// user meets: VK's code before its message, no Go package prefixes, no
// pool index, no request URL.
func TestInWords(t *testing.T) {
	auth := &vkerr.Error{Code: 5, Message: "User authorization failed: invalid access_token (4)."}
	refused := &vkapi.CallError{Method: "users.get", Attempts: 4, Err: &url.Error{Op: "Post",
		URL: "http://127.0.0.1:1/method/users.get?access_token=x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bad token", &vkapi.CallError{Method: "users.get", Attempts: 1, Err: &vkapi.TokenError{Token: 2, Err: auth}},
			"VK refused the token: error 5: User authorization failed: invalid access_token (4)."},
		{"API error", &vkapi.CallError{Method: "users.get", Attempts: 1, Err: &vkerr.Error{Code: 113, Message: "Invalid user id"}},
			"error 113: Invalid user id"},
		{"server down", refused, "cannot reach http://127.0.0.1:1: connection refused (is the server running?) (tried 4 times)"},
		{"not VK", &vkerr.FormatError{Reason: "not JSON", Snippet: "<html>"}, `not a VK API answer: not JSON: "<html>"`},
		{"dead token", &vkapi.CallError{Method: "users.get", Attempts: 1, Err: auth},
			"VK refused the token: error 5: User authorization failed: invalid access_token (4)."},
		{"upload", &upload.Error{Step: upload.StepUpload, Chains: 3, Attempts: 1, URL: "https://pu.vk.com/c1/upload.php",
			Err: &vkerr.UploadError{Shape: "empty", Field: "photo"}},
			"upload to https://pu.vk.com/c1/upload.php failed after 3 tries from a new upload server (1 attempt in the last): upload failed (empty): empty photo"},
		{"timeout", &vkapi.CallError{Method: "users.get", Attempts: 1, Err: context.DeadlineExceeded}, "no answer in time (see --timeout)"},
	}
	for _, tc := range tests {
		if got := inWords(tc.err); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestCommandErrors runs the commands a new user gets wrong first and
// checks each says what is wrong in one line, without doubled prefixes.
func TestCommandErrors(t *testing.T) {
	t.Parallel()
	code, _, errOut := vk(t, "", "call", "users.get", "--token", "x", "--base-url", "http://127.0.0.1:1", "--timeout", "5s")
	if code != 1 || !strings.HasPrefix(errOut, "vk call users.get: cannot reach http://127.0.0.1:1: ") || strings.Contains(errOut, "vkapi:") {
		t.Errorf("server down: %d %q", code, errOut)
	}
	file := t.TempDir() + "/notes.txt"
	if err := os.WriteFile(file, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = vk(t, "", "upload", "photo", "--peer", "2000000001", file, "--mock")
	if code != 2 || !strings.Contains(errOut, "notes.txt is not an image (text/plain; charset=utf-8)") {
		t.Errorf("non-image: %d %q", code, errOut)
	}
	if strings.Count(errOut, "vk: ") > 1 {
		t.Errorf("doubled prefix: %q", errOut)
	}
}

// TestCallbackWarnings: --callback without a secret or a confirmation
// code warns on stderr.
func TestCallbackWarnings(t *testing.T) {
	t.Setenv("VK_CALLBACK_SECRET", "")
	var b strings.Builder
	warnCallbackSetup(&b, callbackListen{addr: "127.0.0.1:0"})
	if !strings.Contains(b.String(), "no --secret") || !strings.Contains(b.String(), "no --confirm") {
		t.Errorf("warnings: %q", b.String())
	}
	b.Reset()
	warnCallbackSetup(&b, callbackListen{addr: "127.0.0.1:0", secret: "s", confirm: "c"})
	if b.String() != "" {
		t.Errorf("warned with both set: %q", b.String())
	}
}

// TestSIGTERMStopsMock: vk mock stops cleanly on SIGTERM, as on Ctrl-C.
func TestSIGTERMStopsMock(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		done <- run([]string{"mock", "--addr", "127.0.0.1:0", "--quiet"}, strings.NewReader(""), pw, &errOut)
		pw.Close()
	}()
	// The banner is printed once the signal handler is in place.
	buf := make([]byte, 4096)
	var out strings.Builder
	for !strings.Contains(out.String(), "try: curl") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("mock ended before its banner: %v %q %q", err, out.String(), errOut.String())
		}
		out.Write(buf[:n])
	}
	go func() { _, _ = io.Copy(&syncDiscard{}, pr) }()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("vk mock did not stop on SIGTERM")
	}
}

type syncDiscard struct{}

func (*syncDiscard) Write(p []byte) (int, error) { return len(p), nil }

// TestWhichCommandsCatchSignals: the commands that run until stopped or
// wait on the network stop cleanly on SIGINT and SIGTERM; the others keep
// the default action, so Ctrl-C ends vk decode waiting on standard input.
func TestWhichCommandsCatchSignals(t *testing.T) {
	want := map[string]bool{"mock": true, "listen": true, "demo": true, "call": true, "upload": true,
		"explain": false, "decode": false, "events": false}
	for _, c := range newRootCmd().Commands() {
		w, ok := want[c.Name()]
		if !ok {
			continue
		}
		if got := c.Annotations[stopsOnSignal] != ""; got != w {
			t.Errorf("vk %s catches SIGINT and SIGTERM: %v, want %v", c.Name(), got, w)
		}
		delete(want, c.Name())
	}
	for name := range want {
		t.Errorf("no command %s", name)
	}
}
