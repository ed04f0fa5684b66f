package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/syncbuf"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// watchedBuffer is a buffer that signals each write.
type watchedBuffer struct {
	syncbuf.Buffer
	wrote chan struct{}
}

func (b *watchedBuffer) Write(p []byte) (int, error) {
	n, err := b.Buffer.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor waits until the buffer holds n copies of s.
func (b *watchedBuffer) waitFor(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for b.Count(s) < n {
		select {
		case <-b.wrote:
		case <-deadline.C:
			t.Fatalf("no %q in %q", s, b.String())
		}
	}
}

// streamMock is the mock of these tests, with the two Streaming controls
// they use.
type streamMock struct{ s *vkmock.Server }

func (m streamMock) inject(t *testing.T, texts ...string) {
	t.Helper()
	events := make([]vkmock.StreamingEvent, len(texts))
	for i, s := range texts {
		events[i] = vkmock.StreamingEvent{Text: s}
	}
	if _, err := m.s.Streaming().Inject(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
}

func (m streamMock) close(t *testing.T) {
	t.Helper()
	if ok, err := m.s.Streaming().Drop(m.s.Streaming().Key(vkmock.DefaultAppID), vkmock.StreamingClose); !ok || err != nil {
		t.Fatalf("drop: %v %v", ok, err)
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	m := streamMock{vkmocktest.NewServer(t)}
	tok := m.s.Tokens().Of(vkmock.TokenService).Token
	out := &watchedBuffer{wrote: make(chan struct{}, 1)}
	errOut := &watchedBuffer{wrote: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	var code int
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = run([]string{"stream", "--base-url", m.s.URL(), "--token", tok, "--rule", "cats=кот -собака", "--rule", "dogs=пёс", "--json", "--max-events", "3"}, strings.NewReader(""), out, errOut)
	}()
	errOut.waitFor(t, "connected", 1)
	m.inject(t, "рыжий кот", "кот и собака")
	out.waitFor(t, "\n", 1) // received before the socket is closed
	m.close(t)
	errOut.waitFor(t, "lost the connection", 1)
	errOut.waitFor(t, "connected", 2)
	m.inject(t, "пёс", "кот и пёс")
	wg.Wait()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("exit %d, out %q, err %q", code, out.String(), errOut.String())
	}
	var e struct {
		EventType string   `json:"event_type"`
		Text      string   `json:"text"`
		Tags      []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &e); err != nil || e.Text != "кот и пёс" || len(e.Tags) != 2 || e.EventType != "post" {
		t.Errorf("third line %s: %+v %v", lines[2], e, err)
	}
	notes := errOut.String()
	for _, want := range []string{"rules: 2 added, 0 deleted", "lost the connection", "reconnected after", "may be missing"} {
		if !strings.Contains(notes, want) {
			t.Errorf("stderr lacks %q: %q", want, notes)
		}
	}
	key := m.s.Streaming().Key(vkmock.DefaultAppID)
	if strings.Contains(out.String()+notes, tok) || strings.Contains(out.String()+notes, key) {
		t.Error("the token or the key leaked")
	}
	// Without --json: one line per event.
	code, text, _ := vkAsync(t, m, tok, "кот")
	if code != 0 || !strings.HasPrefix(text, "post -1_") || !strings.Contains(text, "[cats] кот") {
		t.Errorf("text line: %d %q", code, text)
	}
}

// vkAsync runs vk stream for one event, injected once it is connected.
func vkAsync(t *testing.T, m streamMock, tok, text string) (int, string, string) {
	t.Helper()
	var out syncbuf.Buffer
	errOut := &watchedBuffer{wrote: make(chan struct{}, 1)}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"stream", "--base-url", m.s.URL(), "--token", tok, "--max-events", "1"}, strings.NewReader(""), &out, errOut)
	}()
	errOut.waitFor(t, "connected", 1)
	m.inject(t, text)
	return <-done, out.String(), errOut.String()
}

func TestStreamUsage(t *testing.T) {
	t.Setenv("VK_TOKEN", "")
	if code, _, errOut := vk(t, "", "stream"); code != 2 || !strings.Contains(errOut, "no token") {
		t.Errorf("no token: %d %q", code, errOut)
	}
	if code, _, errOut := vk(t, "", "stream", "--token", "x", "--rule", "novalue"); code != 2 || !strings.Contains(errOut, "TAG=VALUE") {
		t.Errorf("bad rule: %d %q", code, errOut)
	}
}
