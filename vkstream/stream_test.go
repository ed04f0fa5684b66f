package vkstream

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// fast is a configuration whose stalls and reconnections take milliseconds.
var fast = Config{PingInterval: 20 * time.Millisecond, PingTimeout: 300 * time.Millisecond, Backoff: Backoff{Base: 2 * time.Millisecond, Max: 20 * time.Millisecond}}

func TestSyncRules(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c := m.connect(t, hc, Config{})
	defer c.Close()
	ctx := context.Background()
	if rules, err := c.Rules(ctx); err != nil || len(rules) != 0 {
		t.Fatalf("no rules at first: %v %v", rules, err)
	}
	for _, r := range []Rule{{Tag: "cats", Value: "кот"}, {Tag: "dogs", Value: "пёс"}, {Tag: "old", Value: "x"}} {
		if err := c.AddRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []Rule{{Tag: "cats", Value: "кот"}, {Tag: "dogs", Value: "собака"}, {Tag: "birds", Value: `"синяя птица"`}}
	res, err := c.SyncRules(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 2 || len(res.Deleted) != 2 {
		t.Errorf("sync: %+v", res)
	}
	got, err := c.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byTag := func(a, b Rule) int { return strings.Compare(a.Tag, b.Tag) }
	slices.SortFunc(got, byTag)
	slices.SortFunc(want, byTag)
	if !slices.Equal(got, want) {
		t.Errorf("rules after sync: %v, want %v", got, want)
	}
	if res, err := c.SyncRules(ctx, want); err != nil || len(res.Added)+len(res.Deleted) != 0 {
		t.Errorf("a second sync changed %+v, %v", res, err)
	}
	if _, err := c.SyncRules(ctx, []Rule{{Tag: "a", Value: "1"}, {Tag: "a", Value: "2"}}); err == nil {
		t.Error("a tag wanted twice was accepted")
	}
}

// Posts of the world whose text matches a rule become events, with the
// tags of the rules they match; a service message reaches OnService; a
// broken frame is reported and the stream goes on.
func TestEventsServiceAndMalformed(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	c := m.connect(t, hc, col.config(Config{}))
	ctx := context.Background()
	if _, err := c.SyncRules(ctx, []Rule{{Tag: "cats", Value: "кот -собака"}, {Tag: "exact", Value: `"Рыжий кот"`}}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	m.post(t, "Рыжий кот спит")
	m.post(t, "кот и собака") // the minus-word excludes it
	m.post(t, "рыжий кот")    // not the exact phrase: only cats
	col.wait(t, "two events", func() bool { return len(col.events) == 2 })
	e := col.events[0]
	if e.Type != Post || e.Text != "Рыжий кот спит" || !slices.Equal(e.Tags, []string{"cats", "exact"}) || e.ID.PostOwnerID != -vkmock.DefaultGroupID || e.URL == "" || e.Author.ID == 0 || e.CreationTime == 0 {
		t.Errorf("first event: %+v", e)
	}
	if tags := col.events[1].Tags; !slices.Equal(tags, []string{"cats"}) {
		t.Errorf("second event's tags: %v", tags)
	}
	m.service(t, "Stream will be reconnected", 3)
	col.wait(t, "the service message", func() bool { return len(col.services) == 1 })
	if col.services[0] != (ServiceMessage{Message: "Stream will be reconnected", ServiceCode: 3}) {
		t.Errorf("service message: %+v", col.services[0])
	}
	id := m.fault(t, vkmock.Fault{Method: "streaming.stream", Effect: vkmock.StreamingMalformed, Times: 1})
	defer m.unfault(id)
	m.inject(t, 2, "кот")
	col.wait(t, "the event after the broken one", func() bool { return len(col.events) == 3 && len(col.errs) == 1 })
	var de *DecodeError
	if !errors.As(col.errs[0], &de) {
		t.Errorf("the broken frame: %v", col.errs[0])
	}
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.gaps) != 0 || len(col.discs) != 0 {
		t.Errorf("gaps %v, disconnections %v", col.gaps, col.discs)
	}
}

// An upgrade refused with a status a retry fixes (a proxy's 503, 1006)
// is retried with backoff.
func TestUpgradeRetried(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	c := m.connect(t, hc, col.config(fast))
	m.fault(t, vkmock.Fault{Method: "streaming.stream", HTTPStatus: 503, Times: 2})
	m.fault(t, faultStreaming("streaming.stream", int(vkerr.StreamingAlreadyConnected)))
	stop := run(t, c)
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Errorf("Run: %v", err)
	}
}

// Run runs once; Close waits for it and ends every goroutine; later calls
// match vkapi.ErrClosed.
func TestLifecycle(t *testing.T) {
	m := newMock(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	c := m.connect(t, hc, col.config(fast))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	if err := c.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) || !errors.Is(err, vkapi.ErrAlreadyRunning) {
		t.Errorf("second Run: %v", err)
	}
	c.Close()
	if err := <-done; !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	if err := c.Run(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	if _, err := c.Rules(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("Rules after Close: %v", err)
	}
	// A context that ends stops Run with its error.
	c2 := m.connect(t, hc, fast)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c2.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a canceled context: %v", err)
	}
	c2.Close()
}

// A rate of generated events reaches the client.
func TestRate(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	c := m.connect(t, hc, col.config(Config{}))
	if err := c.AddRule(context.Background(), Rule{Tag: "t", Value: "tick"}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	defer stop()
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	if err := m.rate(1000, vkmock.StreamingEvent{Text: "tick", EventType: "comment"}); err != nil {
		t.Fatal(err)
	}
	col.wait(t, "20 events", func() bool { return len(col.events) >= 20 })
	if err := m.rate(0, vkmock.StreamingEvent{}); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	e := col.events[0]
	col.mu.Unlock()
	if e.Type != Comment || e.ID.CommentID == 0 {
		t.Errorf("generated event: %+v", e)
	}
}

// Fault rules of streaming.stream close or stall the stream at an event:
// the client notices, reconnects and reports the gap; the event is missed.
func TestFaultCloseAndStall(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	col := newCollector()
	cfg := fast
	cfg.PingTimeout = 500 * time.Millisecond
	c := m.connect(t, hc, col.config(cfg))
	if err := c.AddRule(context.Background(), Rule{Tag: "t", Value: "x"}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	defer stop()
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	for i, effect := range []string{vkmock.StreamingClose, vkmock.StreamingStall} {
		id := m.fault(t, vkmock.Fault{Method: "streaming.stream", Effect: effect, Times: 1})
		m.inject(t, 1, "x")
		col.wait(t, "the gap after "+effect, func() bool { return len(col.gaps) == i+1 && col.conns == i+2 })
		m.unfault(id)
		m.inject(t, 1, "x")
		col.wait(t, "the event after "+effect, func() bool { return len(col.events) == i+1 })
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if errors.Is(col.discs[0].Err, ErrStalled) || !errors.Is(col.discs[1].Err, ErrStalled) {
		t.Errorf("disconnections: %v", col.discs)
	}
	log := m.log()
	if len(log) != 4 || log[0].State != "missed" || log[1].State != "sent" || log[2].State != "missed" || log[3].State != "sent" {
		t.Errorf("log: %+v", log)
	}
}

// A dial that fails names neither the key nor any secret.
func TestDialErrorRedacted(t *testing.T) {
	key := "0123456789abcdef0123456789abcdef01234567"
	c := New("http://127.0.0.1:1/streaming", key, Config{})
	defer c.Close()
	_, err := c.dial(context.Background())
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("dial: %v", err)
	}
	_, err = c.Rules(context.Background())
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("rules: %v", err)
	}
}

// Over TLS, streaming.getServerUrl answers a bare host, as VK does, and
// the client reads the rules over https and the stream over wss.
func TestTLS(t *testing.T) {
	m := newMock(t, vkmock.WithTLS())
	hc := m.httpClient()
	defer hc.CloseIdleConnections()
	col := newCollector()
	c := m.connect(t, hc, col.config(Config{}))
	if strings.HasPrefix(c.Endpoint(), "http://") || !strings.HasSuffix(c.Endpoint(), "/streaming") {
		t.Errorf("endpoint %q", c.Endpoint())
	}
	if err := c.AddRule(context.Background(), Rule{Tag: "t", Value: "x"}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, c)
	col.wait(t, "the connection", func() bool { return col.conns == 1 })
	m.inject(t, 1, "x")
	col.wait(t, "the event", func() bool { return len(col.events) == 1 })
	if err := stop(); !errors.Is(err, ErrClosed) {
		t.Errorf("Run: %v", err)
	}
}
