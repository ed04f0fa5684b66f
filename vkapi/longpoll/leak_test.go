package longpoll

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// Close ends every goroutine the poller started (workers, the a_check in
// flight, its HTTP connections), over a real loopback connection.
func TestCloseLeaksNothing(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	apiHC := &http.Client{Transport: &http.Transport{}}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer apiHC.CloseIdleConnections()
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithHTTPClient(apiHC), vkapi.WithTokenKind(vkapi.KindGroup))
	c := newCollector(1)
	store := &MemoryStore{} // from ts 0: the event below is delivered however the start races with it
	if err := store.Save(context.Background(), vkmock.DefaultGroupID, Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}
	p := New(api, Config{Handler: c, Concurrency: 3, Store: store})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	<-c.signal
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run: %v", err)
	}
	if err := p.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}
