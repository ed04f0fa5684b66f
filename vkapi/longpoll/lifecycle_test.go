package longpoll

import (
	"context"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/lifecycletest"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// The lifecycle contract of docs/events.md.
func TestLifecycleContract(t *testing.T) {
	for _, workers := range []int{1, 3} {
		mock := vkmocktest.NewServer(t)
		if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		apiHC := &http.Client{Transport: &http.Transport{}}
		func() {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			defer apiHC.CloseIdleConnections()
			api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithHTTPClient(apiHC), vkapi.WithTokenKind(vkapi.KindGroup))
			defer api.Close()
			store := &MemoryStore{}
			if err := store.Save(context.Background(), vkmock.DefaultGroupID, Position{TS: "0"}); err != nil {
				t.Fatal(err)
			}
			if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: "x"}); err != nil {
				t.Fatal(err)
			}
			b := lifecycletest.NewBlocker()
			p := New(api, Config{Store: store, Concurrency: workers,
				Handler: vkevent.HandlerFunc(func(ctx context.Context, _ *vkevent.Event) error { return b.Handle(ctx) })})
			lifecycletest.Check(t, p, b)
		}()
	}
}
