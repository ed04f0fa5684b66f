package userlongpoll

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkapi"
)

// handlerTransport serves requests with a handler on the calling
// goroutine: no network, so a synctest bubble holds the whole exchange.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// countingHandler counts the log records: one per attempt to get a server.
type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// A 29 (and a 9) from messages.getLongPollServer cools down, as Bots Long
// Poll does: not a retry every few seconds for the whole cooldown.
func TestServerRateLimitCoolsDown(t *testing.T) {
	for _, code := range []string{"29", "9"} {
		t.Run(code, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int64
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case "/method/messages.getLongPollServer":
						calls.Add(1)
						w.Write([]byte(`{"error":{"error_code":` + code + `,"error_msg":"Rate limit reached","request_params":[]}}`))
					default:
						http.NotFound(w, r)
					}
				})
				hc := &http.Client{Transport: handlerTransport{h}}
				api := vkapi.New("token", vkapi.WithBaseURL("http://api.test"), vkapi.WithHTTPClient(hc), vkapi.WithTokenKind(vkapi.KindUser))
				defer api.Close()
				logs := &countingHandler{}
				p := New(api, Config{UserID: 1, HTTPClient: hc, CooldownMin: time.Minute, Logger: slog.New(logs)})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				_ = p.Run(ctx)
				// The client refuses the method locally after the first 29
				// or 9; what counts is how often the poller asks.
				if n := calls.Load(); n > 2 || n < 1 {
					t.Errorf("%d calls in 10 minutes", n)
				}
				if n := logs.n.Load(); n > 11 {
					t.Errorf("%d attempts in 10 minutes with a cooldown of at least 1", n)
				}
			})
		})
	}
}
