package vkstream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/backoff"
	"github.com/vkerr/vkerr/vkapi"
)

// The lifecycle sentinels, the same values as vkapi's.
var (
	ErrClosed         = vkapi.ErrClosed
	ErrAlreadyRunning = vkapi.ErrAlreadyRunning
)

// Defaults of Config.
const (
	DefaultPingInterval    = 15 * time.Second
	DefaultPingTimeout     = 10 * time.Second
	DefaultBackoffBase     = 500 * time.Millisecond
	DefaultBackoffMax      = 30 * time.Second
	DefaultMaxMessageBytes = 1 << 20
	// maxAnswerBytes bounds an answer of the rules endpoint.
	maxAnswerBytes = 4 << 20
)

// Backoff is the wait before the n-th reconnection in a row: a random
// duration between 0 and min(Max, Base·2^(n-1)) (full jitter). Zero fields
// take DefaultBackoffBase and DefaultBackoffMax.
type Backoff struct {
	Base, Max time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	return b
}

// delay is the wait after the n-th failure in a row (n from 1).
func (b Backoff) delay(n int) time.Duration {
	return backoff.Backoff{Base: b.Base, Max: b.Max}.Delay(n)
}

// Config configures a Client. The zero value works: it ignores events and
// service messages, pings every DefaultPingInterval, backs off from
// DefaultBackoffBase to DefaultBackoffMax and logs nothing.
type Config struct {
	// HTTPClient sends the rules requests and the stream's handshake; nil
	// is a client of the package's own.
	HTTPClient *http.Client
	// OnEvent gets each event, on Run's goroutine, in order.
	OnEvent func(Event)
	// OnService gets each service message (code 300).
	OnService func(ServiceMessage)
	// OnConnect is called each time a connection is up, with its time
	// (after OnGap, when the connection ends a gap).
	OnConnect func(time.Time)
	// OnDisconnect is called when the connection is lost.
	OnDisconnect func(Disconnect)
	// OnGap is called once a new connection is up after a loss.
	OnGap func(Gap)
	// OnError gets a message the client could not decode (*DecodeError) or
	// an error the stream sent (*vkerr.StreamingError); reading goes on.
	OnError func(error)
	// PingInterval is how often the client pings; a ping without a pong
	// within PingTimeout is a stall: the client drops the connection and
	// reconnects.
	PingInterval, PingTimeout time.Duration
	// Backoff is the wait between reconnections.
	Backoff Backoff
	// MaxMessageBytes bounds a message of the stream (default 1 MiB); a
	// longer one ends the connection.
	MaxMessageBytes int64
	// Logger gets a record per disconnection and gap; nil discards.
	Logger *slog.Logger
}

// Client is a client of one stream (an endpoint and a key). Its rules
// methods may be called at any time, from any goroutine; Run reads the
// stream, once; Close stops it.
type Client struct {
	base string // http(s)://host[/path], no trailing slash
	key  string
	cfg  Config
	hc   *http.Client
	own  bool
	log  *slog.Logger

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
	closed  bool
}

// New returns a client of the stream at endpoint (as streaming.getServerUrl
// answers it: a host such as "streaming.vk.com", which means https, or a
// URL with its scheme) with key.
func New(endpoint, key string, cfg Config) *Client {
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	c := &Client{base: baseURL(endpoint), key: key, cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger}
	if c.hc == nil {
		c.hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		c.own = true
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// baseURL puts https:// in front of a bare host.
func baseURL(endpoint string) string {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		endpoint = "https://" + endpoint
	}
	return endpoint
}

// Connect asks streaming.getServerUrl (api must hold a service token) for
// the endpoint and key, and returns a client of that stream.
func Connect(ctx context.Context, api *vkapi.Client, cfg Config) (*Client, error) {
	var out struct {
		Endpoint string `json:"endpoint"`
		Key      string `json:"key"`
	}
	if err := api.Call(ctx, "streaming.getServerUrl", nil, &out); err != nil {
		return nil, err
	}
	if out.Endpoint == "" || out.Key == "" {
		return nil, errors.New("vkstream: streaming.getServerUrl answered no endpoint or no key")
	}
	return New(out.Endpoint, out.Key, cfg), nil
}

// Endpoint returns the stream's base URL (without the key).
func (c *Client) Endpoint() string { return c.base }

// redact removes the key and any other secret from an error's text.
func (c *Client) redact(err error) error {
	if err == nil {
		return nil
	}
	var se *vkerr.StreamingError
	if errors.As(err, &se) {
		return err
	}
	return &redactedError{msg: vkerr.RedactString(strings.ReplaceAll(err.Error(), c.key, vkerr.Redacted)), err: err}
}

// redactedError is an error whose text has its secrets removed; errors.Is
// and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
