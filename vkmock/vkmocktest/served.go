package vkmocktest

import (
	"context"
	"log/slog"

	"github.com/vkerr/vkerr/vkmock"
)

// Served returns an option that makes the mock signal on the channel each
// time it has answered method without an error (a signal already pending
// is not doubled), so that a test can wait for a client to have, say, its
// Long Poll server before it makes events, instead of sleeping.
func Served(method string) (vkmock.Option, <-chan struct{}) {
	ch := make(chan struct{}, 1)
	return vkmock.WithLogger(slog.New(servedSignal{method: method, ch: ch})), ch
}

// servedSignal is a slog handler of the mock's request lines.
type servedSignal struct {
	method string
	ch     chan<- struct{}
}

func (h servedSignal) Enabled(context.Context, slog.Level) bool { return true }

func (h servedSignal) Handle(_ context.Context, r slog.Record) error {
	var method bool
	code := int64(-1)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "method":
			method = a.Value.String() == h.method
		case "error_code":
			code = a.Value.Int64()
		}
		return true
	})
	if method && code == 0 {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h servedSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h servedSignal) WithGroup(string) slog.Handler      { return h }
