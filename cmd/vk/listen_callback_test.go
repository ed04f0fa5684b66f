package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/internal/syncbuf"
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
