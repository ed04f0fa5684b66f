package userlongpoll

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi/internal/lifecycletest"
)

// The lifecycle contract of docs/events.md.
func TestLifecycleContract(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeVK(3, 500)
	defer f.Close()
	api, closeAPI := f.client()
	defer closeAPI()
	b := lifecycletest.NewBlocker()
	p := New(api, Config{Start: &Position{TS: fakeStartTS, PTS: f.startPTS},
		Handler: HandlerFunc(func(ctx context.Context, _ *Update) error { return b.Handle(ctx) })})
	lifecycletest.Check(t, p, b)
}
