package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/vkevent"
)

func TestListenCallback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	pr := &listenPrinter{linePrinter: linePrinter{out: &out, asJSON: true, max: 1, stop: cancel}, errOut: &errOut}
	addr := make(chan string, 1)
	cb := callbackListen{addr: "127.0.0.1:0", secret: "s3cret", confirm: "c0de", group: 5, ready: func(a string) { addr <- a }}
	done := make(chan error, 1)
	go func() { done <- cb.run(ctx, pr, discardLogger()) }()
	url := "http://" + <-addr + "/"
	send := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := send(`{"type":"confirmation","group_id":5}`); code != 200 || b != "c0de" {
		t.Fatalf("confirmation: %d %q", code, b)
	}
	if code, _ := send(`{"type":"message_new","group_id":5,"event_id":"e1","secret":"guess","object":{}}`); code != 403 {
		t.Fatalf("wrong secret: %d", code)
	}
	if code, b := send(`{"type":"message_new","group_id":5,"event_id":"e1","v":"5.199","secret":"s3cret","object":{"message":{"peer_id":7,"from_id":7,"text":"hi"}}}`); code != 200 || b != "ok" {
		t.Fatalf("event: %d %q", code, b)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"text":"hi"`) || !strings.Contains(out.String(), `"event_id":"e1"`) {
		t.Fatalf("out %q", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), "s3cret") {
		t.Fatal("the secret leaked")
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// vk events decodes a User Long Poll answer (a real one, wire example 22).
func TestEventsUserLongPoll(t *testing.T) {
	code, out, errOut := vk(t, "", "events", "--json", "testdata/22-user-lp-updates-v0-new-message.json")
	var lines []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != 3 {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	m := lines[0]
	if m["code"] != 4.0 || m["message_id"] != 82033.0 || m["flags"] != 33.0 || m["peer_id"] != 214914887.0 || m["text"] != "Дарова, лысый" || lines[1]["code"] != 80.0 {
		t.Fatalf("%v", lines)
	}
}

// noticeWriter passes writes to w and closes seen at the first one that
// contains want.
type noticeWriter struct {
	w    io.Writer
	want string
	seen chan struct{}
	once sync.Once
}

func (n *noticeWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), n.want) {
		n.once.Do(func() { close(n.seen) })
	}
	return n.w.Write(p)
}

// gated holds each event in its handler until the test lets it go.
type gated struct {
	next    vkevent.Handler
	entered chan string
	gate    chan struct{}
}

func (g *gated) HandleEvent(ctx context.Context, e *vkevent.Event) error {
	g.entered <- e.EventID
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.next.HandleEvent(ctx, e)
}

func postEvent(t *testing.T, url, id string) (int, string) {
	t.Helper()
	body := `{"type":"message_new","group_id":5,"event_id":"` + id + `","v":"5.199","secret":"s3cret","object":{"message":{"peer_id":7,"from_id":7,"text":"` + id + `"}}}`
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// SIGTERM (what an orchestrator sends): vk listen --callback stops taking
// events (503), finishes the one in flight (printed, answered ok) and
// exits 0.
func TestListenCallbackSIGTERM(t *testing.T) {
	var out, errOut syncbuf.Buffer
	stopping := &noticeWriter{w: &errOut, want: "stopping", seen: make(chan struct{})}
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	cmd.SetErr(stopping)
	cmd.SetContext(context.Background())
	g := &gated{entered: make(chan string, 1), gate: make(chan struct{})}
	addr := make(chan string, 1)
	cb := callbackListen{addr: "127.0.0.1:0", secret: "s3cret", ready: func(a string) { addr <- a },
		wrap: func(h vkevent.Handler) vkevent.Handler { g.next = h; return g }}
	done := make(chan error, 1)
	go func() { done <- runCallbackListen(cmd, cb, 5, true, false, 0) }()
	url := "http://" + <-addr + "/"
	first := make(chan string, 1)
	go func() {
		code, b := postEvent(t, url, "e1")
		first <- strconv.Itoa(code) + " " + b
	}()
	<-g.entered // e1 is in flight
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-stopping.seen
	if code, b := postEvent(t, url, "e2"); code != 503 || strings.Contains(b, "ok") {
		t.Fatalf("an event after SIGTERM: %d %q", code, b)
	}
	close(g.gate)
	if a := <-first; a != "200 ok" {
		t.Fatalf("the event in flight: %s", a)
	}
	if err := <-done; err != nil {
		t.Fatalf("exit: %v (stderr %q)", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"event_id":"e1"`) || strings.Contains(out.String(), `"e2"`) {
		t.Fatalf("out %q", out.String())
	}
}

// A shutdown that cannot finish in its grace period says how many events
// it leaves and exits 1.
func TestListenCallbackShutdownLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	pr := &listenPrinter{linePrinter: linePrinter{out: &out, asJSON: true, stop: cancel}, errOut: &errOut}
	g := &gated{entered: make(chan string, 1), gate: make(chan struct{})} // never opened
	addr := make(chan string, 1)
	cb := callbackListen{addr: "127.0.0.1:0", secret: "s3cret", group: 5, ready: func(a string) { addr <- a }, grace: 50 * time.Millisecond,
		wrap: func(h vkevent.Handler) vkevent.Handler { g.next = h; return g }}
	done := make(chan error, 1)
	go func() { done <- cb.run(ctx, pr, discardLogger()) }()
	url := "http://" + <-addr + "/"
	first := make(chan int, 1)
	go func() { code, _ := postEvent(t, url, "e1"); first <- code }()
	<-g.entered
	cancel() // as a signal does
	err := <-done
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(err.Error(), "1 events unfinished") {
		t.Fatalf("exit: %v", err)
	}
	if code := <-first; code != 503 {
		t.Fatalf("the unfinished event was answered %d", code)
	}
	if strings.Contains(out.String(), "e1") {
		t.Fatalf("out %q", out.String())
	}
}

// --confirm without --group is refused: the code would go to any caller.
func TestListenCallbackConfirmNeedsGroup(t *testing.T) {
	pr := &listenPrinter{linePrinter: linePrinter{out: io.Discard}, errOut: io.Discard}
	err := callbackListen{addr: "127.0.0.1:0", confirm: "c0de"}.run(context.Background(), pr, discardLogger())
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "--group") {
		t.Fatalf("%v", err)
	}
}
