package vkstream

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkStream measures events a second from vkmock over loopback:
// through the client (decoding each event and calling OnEvent), and
// through a bare WebSocket reader that only reads each message.
func BenchmarkStream(b *testing.B) {
	b.Run("client", func(b *testing.B) {
		m := newMock(b)
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		var n atomic.Int64
		got := make(chan struct{}, 1)
		var want atomic.Int64
		connected := make(chan struct{}, 1)
		cfg := Config{
			OnEvent: func(Event) {
				if n.Add(1) == want.Load() {
					got <- struct{}{}
				}
			},
			OnConnect: func(time.Time) { connected <- struct{}{} },
		}
		c := m.connect(b, hc, cfg)
		if err := c.AddRule(context.Background(), Rule{Tag: "b", Value: "bench"}); err != nil {
			b.Fatal(err)
		}
		stop := run(b, c)
		defer stop()
		<-connected
		want.Store(int64(b.N))
		b.ResetTimer()
		injected := make(chan error, 1)
		go func() { injected <- m.injectErr(b.N, "bench") }()
		<-got
		if err := <-injected; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("bare", func(b *testing.B) {
		m := newMock(b)
		hc := &http.Client{Transport: &http.Transport{}}
		defer hc.CloseIdleConnections()
		c := m.connect(b, hc, Config{})
		defer c.Close()
		if err := c.AddRule(context.Background(), Rule{Tag: "b", Value: "bench"}); err != nil {
			b.Fatal(err)
		}
		conn, _, err := websocket.Dial(context.Background(), c.streamURL(), &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.CloseNow()
		conn.SetReadLimit(DefaultMaxMessageBytes)
		b.ResetTimer()
		injected := make(chan error, 1)
		go func() { injected <- m.injectErr(b.N, "bench") }()
		for range b.N {
			if _, _, err := conn.Read(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-injected; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
