package userlongpoll

import (
	"context"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/lifecycletest"
)

// The lifecycle contract of docs/events.md.
func TestLifecycleContract(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeVK(3, 500)
	defer f.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	api := vkapi.New("token", vkapi.WithBaseURL(f.URL), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}),
		vkapi.WithHTTPClient(&http.Client{Transport: tr}))
	defer api.Close()
	b := lifecycletest.NewBlocker()
	p := New(api, Config{Start: &Position{TS: fakeStartTS, PTS: f.startPTS},
		Handler: HandlerFunc(func(ctx context.Context, _ *Update) error { return b.Handle(ctx) })})
	lifecycletest.Check(t, p, b)
}
