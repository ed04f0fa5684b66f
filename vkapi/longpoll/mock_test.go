package longpoll

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

// memTransport serves requests with a handler in the calling goroutine, so
// that the mock, the client and their timers all live in one synctest
// bubble and time is fake. A request whose context ended while the
// handler held it fails with the context's error, as net/http's transport
// fails it; a handler that resets the connection otherwise becomes a
// network error; a body shorter than its Content-Length ends in
// io.ErrUnexpectedEOF, as on a cut connection.
type memTransport struct{ h http.Handler }

var errReset = errors.New("connection reset by peer (simulated)")

func (t memTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	r = r.Clone(r.Context())
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	r.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != nil {
				if v != http.ErrAbortHandler {
					panic(v)
				}
				err = errReset
			}
		}()
		t.h.ServeHTTP(rec, r)
	}()
	if cerr := r.Context().Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	res := rec.Result()
	if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(rec.Body.Len()) {
		res.Body = io.NopCloser(io.MultiReader(bytes.NewReader(rec.Body.Bytes()), errorReader{io.ErrUnexpectedEOF}))
	}
	return res, nil
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// rig is a vkmock with Long Poll on for its community, and a vkapi client
// of the community's token, connected in memory.
type rig struct {
	mock *vkmock.Server
	hc   *http.Client
	api  *vkapi.Client
}

func newRig(t *testing.T, opts ...vkmock.Option) *rig {
	t.Helper()
	mock := vkmock.MustNew(opts...)
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: memTransport{mock}}
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL("http://vkmock.test"), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindGroup))
	return &rig{mock: mock, hc: hc, api: api}
}

func (r *rig) inbox(t *testing.T, from int64, text string) vkmock.InboxResult {
	t.Helper()
	res, err := r.mock.World().Inbox(vkmock.InboxMessage{FromID: from, GroupID: vkmock.DefaultGroupID, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// collector is a handler that records the events it gets.
type collector struct {
	mu     sync.Mutex
	events []vkevent.Event
	texts  map[int64][]string // by peer
	signal chan struct{}
	want   int
}

func newCollector(want int) *collector {
	return &collector{texts: map[int64][]string{}, signal: make(chan struct{}), want: want}
}

func (c *collector) HandleEvent(_ context.Context, e *vkevent.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, *e)
	if f, ok := e.MessageFields(); ok {
		c.texts[f.PeerID] = append(c.texts[f.PeerID], f.Text)
	}
	if len(c.events) == c.want {
		close(c.signal)
	}
	return nil
}

func (c *collector) ids() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, e := range c.events {
		m[e.EventID]++
	}
	return m
}

// start runs a poller and returns a function that closes it and returns
// Run's error.
func start(t *testing.T, p *Poller) func() error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	return func() error {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		return <-done
	}
}
