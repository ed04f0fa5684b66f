package vkstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/backoff"
)

// ErrStalled is the cause of a disconnection the client made itself: a
// ping got no pong within PingTimeout.
var ErrStalled = errors.New("vkstream: the stream stalled: no pong within the ping timeout")

// Run reads the stream until ctx ends (its error), Close is called
// (ErrClosed) or the server refuses the stream for good (a
// *vkerr.StreamingError no retry fixes: a bad or missing key, a bad
// request). It reconnects after a close, a stall or a refused upgrade
// that may pass (1006, a proxy's 5xx, a network error), with backoff.
// Handlers run on Run's goroutine and must return well within
// PingTimeout, since the stream is not read meanwhile. A Client runs once:
// a second call returns ErrAlreadyRunning.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.started {
		c.mu.Unlock()
		return ErrAlreadyRunning
	}
	c.started = true
	ctx, cancel := context.WithCancel(ctx)
	c.cancel, c.done = cancel, make(chan struct{})
	c.mu.Unlock()
	defer close(c.done)
	defer cancel()
	err := c.loop(ctx)
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed && ctx.Err() != nil {
		return ErrClosed
	}
	return err
}

// Close stops Run and waits until it has returned; later calls of Run and
// of the rules methods return ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if c.own {
		c.hc.CloseIdleConnections()
	}
	return nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// fatal reports whether a refused upgrade is one no retry fixes.
func fatal(err error) bool {
	var se *vkerr.StreamingError
	return errors.As(err, &se) && se.Retry() == vkerr.RetryNever
}

func (c *Client) loop(ctx context.Context) error {
	failures := 0
	var lost *Disconnect
	for {
		conn, err := c.dial(ctx)
		if ctx.Err() != nil {
			if conn != nil {
				conn.CloseNow()
			}
			return ctx.Err()
		}
		if err != nil {
			if fatal(err) {
				return err
			}
			failures++
			d := c.cfg.Backoff.delay(failures)
			c.log.Warn("vkstream: connecting failed", "err", err, "retry_in", d)
			_ = backoff.Sleep(ctx, d)
			continue
		}
		connected := time.Now()
		if lost != nil {
			g := Gap{From: lost.LastSeen, To: connected, Err: lost.Err}
			c.log.Warn("vkstream: reconnected; events may be missing", "from", g.From, "to", g.To, "for", g.Duration())
			if c.cfg.OnGap != nil {
				c.cfg.OnGap(g)
			}
			lost = nil
		}
		if c.cfg.OnConnect != nil {
			c.cfg.OnConnect(connected)
		}
		failures = 0
		lastSeen, err := c.read(ctx, conn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if lastSeen.IsZero() {
			lastSeen = connected
		}
		lost = &Disconnect{At: time.Now(), LastSeen: lastSeen, Err: err}
		c.log.Warn("vkstream: connection lost", "err", err, "last_seen", lastSeen)
		if c.cfg.OnDisconnect != nil {
			c.cfg.OnDisconnect(*lost)
		}
		failures++
		_ = backoff.Sleep(ctx, c.cfg.Backoff.delay(failures))
	}
}

// streamURL is the stream's WebSocket URL with the key.
func (c *Client) streamURL() string {
	u := c.base + "/stream?key=" + url.QueryEscape(c.key)
	if rest, ok := strings.CutPrefix(u, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(u, "http://")
}

// dial opens the stream; a refused upgrade with the API's answer is a
// *vkerr.StreamingError carrying the HTTP status.
func (c *Client) dial(ctx context.Context) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.PingInterval+c.cfg.PingTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, c.streamURL(), &websocket.DialOptions{HTTPClient: c.hc})
	if err != nil {
		if resp != nil && resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
			resp.Body.Close()
			if _, aerr := decodeAnswer(resp, b); aerr != nil {
				return nil, aerr
			}
		}
		return nil, c.redact(err)
	}
	conn.SetReadLimit(c.cfg.MaxMessageBytes)
	return conn, nil
}

// read reads the stream until it ends, pinging meanwhile; it returns the
// time of the last message and why the stream ended.
func (c *Client) read(ctx context.Context, conn *websocket.Conn) (time.Time, error) {
	cctx, cancel := context.WithCancel(ctx)
	var stalled atomic.Bool
	pinger := make(chan struct{})
	go func() {
		defer close(pinger)
		t := time.NewTicker(c.cfg.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(cctx, c.cfg.PingTimeout)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				if cctx.Err() == nil {
					stalled.Store(true)
				}
				conn.CloseNow()
				return
			}
		}
	}()
	defer func() {
		cancel()
		conn.CloseNow()
		<-pinger
	}()
	var last time.Time
	for {
		_, data, err := conn.Read(cctx)
		if err != nil {
			if stalled.Load() {
				return last, ErrStalled
			}
			return last, c.redact(err)
		}
		last = time.Now()
		c.handle(data)
	}
}

// handle decodes one message and hands it to its handler.
func (c *Client) handle(data []byte) {
	m, err := vkerr.DecodeStreaming(data)
	var se *vkerr.StreamingError
	switch {
	case errors.As(err, &se):
		c.report(se)
	case err != nil:
		c.report(&DecodeError{Err: err, Snippet: vkerr.RedactedSnippet(data)})
	case m.Code == vkerr.StreamingMessageEvent:
		var e Event
		if err := json.Unmarshal(m.Event, &e); err != nil {
			c.report(&DecodeError{Err: err, Snippet: vkerr.RedactedSnippet(data)})
			return
		}
		e.Raw = m.Event
		if c.cfg.OnEvent != nil {
			c.cfg.OnEvent(e)
		}
	case m.Code == vkerr.StreamingMessageService:
		if c.cfg.OnService != nil {
			c.cfg.OnService(ServiceMessage(*m.Service))
		}
	}
}

func (c *Client) report(err error) {
	c.log.Warn("vkstream: message not handled", "err", err)
	if c.cfg.OnError != nil {
		c.cfg.OnError(err)
	}
}
