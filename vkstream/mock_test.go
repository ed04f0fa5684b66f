package vkstream

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// testMock is the one place these tests reach vkmock: its constructor and
// the few Streaming controls they use.
type testMock struct {
	s   *vkmock.Server
	key string
}

func newMock(t testing.TB, opts ...vkmock.Option) *testMock {
	s := vkmocktest.NewServer(t, opts...)
	return &testMock{s: s, key: s.Streaming().Key(vkmock.DefaultAppID)}
}

// connect makes a client of the mock's stream through streaming.getServerUrl.
func (m *testMock) connect(t testing.TB, hc *http.Client, cfg Config) *Client {
	t.Helper()
	api := vkapi.New(m.s.Tokens().Of(vkmock.TokenService).Token, vkapi.WithBaseURL(m.s.URL()), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindService))
	defer api.Close()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = hc
	}
	c, err := Connect(context.Background(), api, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// httpClient is a client that trusts the mock (its TLS certificate too),
// with a transport of its own.
func (m *testMock) httpClient() *http.Client {
	hc := *m.s.HTTPClient()
	if tr, ok := hc.Transport.(*http.Transport); ok {
		hc.Transport = tr.Clone()
	}
	return &hc
}

func (m *testMock) post(t testing.TB, text string) {
	t.Helper()
	if _, err := m.s.World().AddPost(vkmock.Post{OwnerID: -vkmock.DefaultGroupID, Text: text}); err != nil {
		t.Fatal(err)
	}
}

func (m *testMock) inject(t testing.TB, n int, text string) {
	t.Helper()
	if err := m.injectErr(n, text); err != nil {
		t.Fatal(err)
	}
}

// injectErr makes n events of text, for a goroutine that cannot fail the
// test itself.
func (m *testMock) injectErr(n int, text string) error {
	events := make([]vkmock.StreamingEvent, n)
	for i := range events {
		events[i] = vkmock.StreamingEvent{Text: text}
	}
	_, err := m.s.Streaming().Inject(context.Background(), events...)
	return err
}

func (m *testMock) drop(t testing.TB, effect string) {
	t.Helper()
	if ok, err := m.s.Streaming().Drop(m.key, effect); err != nil || !ok {
		t.Fatalf("drop %s: %v, connected %v", effect, err, ok)
	}
}

func (m *testMock) fault(t testing.TB, f vkmock.Fault) string {
	t.Helper()
	id, err := m.s.Faults().Add(f)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (m *testMock) unfault(id string) { m.s.Faults().Remove(id) }

func (m *testMock) log() []vkmock.StreamingRecord { return m.s.Streaming().Log() }

func (m *testMock) service(t testing.TB, text string, code int) {
	t.Helper()
	if ok, err := m.s.Streaming().Service(m.key, text, code); err != nil || !ok {
		t.Fatalf("service: %v, connected %v", err, ok)
	}
}

// collector records what a client hands to its callbacks.
type collector struct {
	mu       sync.Mutex
	events   []Event
	byPost   map[int64]int
	services []ServiceMessage
	errs     []error
	gaps     []Gap
	discs    []Disconnect
	conns    int
	changed  chan struct{}
}

func newCollector() *collector {
	return &collector{byPost: map[int64]int{}, changed: make(chan struct{}, 1)}
}

func (c *collector) update(f func()) {
	c.mu.Lock()
	f()
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// config fills the callbacks of cfg.
func (c *collector) config(cfg Config) Config {
	cfg.OnEvent = func(e Event) {
		c.update(func() { c.events = append(c.events, e); c.byPost[e.ID.PostID]++ })
	}
	cfg.OnService = func(s ServiceMessage) { c.update(func() { c.services = append(c.services, s) }) }
	cfg.OnError = func(err error) { c.update(func() { c.errs = append(c.errs, err) }) }
	cfg.OnGap = func(g Gap) { c.update(func() { c.gaps = append(c.gaps, g) }) }
	cfg.OnDisconnect = func(d Disconnect) { c.update(func() { c.discs = append(c.discs, d) }) }
	cfg.OnConnect = func(time.Time) { c.update(func() { c.conns++ }) }
	return cfg
}

// wait waits until cond holds (under the lock); it fails the test after
// a generous bound, which only a bug reaches.
func (c *collector) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.changed:
		case <-deadline.C:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s: %d events, %d connections, disconnections %+v", what, len(c.events), c.conns, c.discs)
		}
	}
}

// run starts c.Run and returns a function that closes the client and
// returns Run's error.
func run(t testing.TB, c *Client) func() error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	return func() error {
		c.Close()
		return <-done
	}
}

// faultStreaming is a fault rule answering a Streaming error code once.
func faultStreaming(method string, code int) vkmock.Fault {
	return vkmock.Fault{Method: method, Streaming: code, Times: 1}
}

func (m *testMock) rate(perSecond float64, e vkmock.StreamingEvent) error {
	return m.s.Streaming().SetRate(perSecond, e)
}
