package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/vkapi/eventqueue"
)

// vk listen --callback --queue: each event is in Redis before its ok (the
// append is the handler), a resend is answered ok without a second entry,
// a full backlog is answered 503 with the queue's Retry-After, nothing is
// printed, and vk listen --from-queue prints what was appended.
func TestListenCallbackQueue(t *testing.T) {
	t.Parallel()
	addr, rdb, name := testQueue(t)
	url := "redis://" + addr + "/0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	pr := &listenPrinter{linePrinter: linePrinter{out: &out, stop: cancel}, errOut: &errOut}
	ready := make(chan string, 1)
	cb := callbackListen{addr: "127.0.0.1:0", secret: "s3cret", group: 5, ready: func(a string) { ready <- a },
		queue: queueFlags{url: url, name: name, maxBacklog: 2}}
	done := make(chan error, 1)
	go func() { done <- cb.run(ctx, pr, discardLogger()) }()
	var srv string
	select {
	case srv = <-ready:
	case err := <-done:
		t.Fatalf("run ended: %v %q", err, errOut.String())
	}
	send := func(id, text string) *http.Response {
		t.Helper()
		body := `{"type":"message_new","group_id":5,"event_id":"` + id + `","v":"5.199","secret":"s3cret","object":{"message":{"peer_id":7,"from_id":7,"text":"` + text + `"}}}`
		resp, err := http.Post("http://"+srv+"/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Header.Set("X-Body", string(b))
		return resp
	}
	entries := func() int64 {
		t.Helper()
		st, err := eventqueue.ReadStats(context.Background(), rdb, eventqueue.Options{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, p := range st.Partitions {
			n += p.Length
		}
		return n
	}
	for i, id := range []string{"e1", "e2"} {
		if r := send(id, id); r.StatusCode != 200 || r.Header.Get("X-Body") != "ok" {
			t.Fatalf("%s: %d %q", id, r.StatusCode, r.Header.Get("X-Body"))
		}
		// ok came after the append returned: the entry is there.
		if n := entries(); n != int64(i+1) {
			t.Fatalf("after %s's ok the queue holds %d entries", id, n)
		}
	}
	if r := send("e1", "e1"); r.StatusCode != 200 || entries() != 2 {
		t.Fatalf("resend of e1: %d, %d entries", r.StatusCode, entries())
	}
	r := send("e3", "e3")
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "5" || strings.Contains(r.Header.Get("X-Body"), "backlog") {
		t.Fatalf("full backlog: %d Retry-After %q body %q", r.StatusCode, r.Header.Get("Retry-After"), r.Header.Get("X-Body"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out.String() != "" || strings.Contains(errOut.String(), "s3cret") {
		t.Fatalf("printed %q; stderr %q", out.String(), errOut.String())
	}
	code, printed, stderr := vk(t, "", "listen", "--from-queue", url, "--queue-name", name, "--max-events", "2")
	lines := strings.Split(strings.TrimSpace(printed), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"e1"`) || !strings.Contains(lines[1], `"e2"`) {
		t.Fatalf("from the queue: %d %q %q", code, printed, stderr)
	}
}
