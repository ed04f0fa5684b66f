package longpoll_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

func Example() {
	mock := vkmock.MustNew()
	srv := httptest.NewServer(mock)
	defer srv.Close()
	_ = mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true})

	api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(srv.URL), vkapi.WithTokenKind(vkapi.KindGroup))
	got := make(chan struct{})
	var r vkevent.Router
	r.OnMessageNew(func(_ context.Context, _ *vkevent.Event, m *vkevent.MessageNew) error {
		fmt.Printf("%d wrote %q\n", m.Message.FromID, m.Message.Text)
		close(got)
		return nil
	})
	store := &longpoll.MemoryStore{}
	_ = store.Save(context.Background(), vkmock.DefaultGroupID, longpoll.Position{TS: "0"}) // resume from the start
	p := longpoll.New(api, longpoll.Config{Handler: &r, Store: store})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()

	_, _ = mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: "hello"})
	<-got
	_ = p.Close()
	fmt.Println(<-done)
	// Output:
	// 7 wrote "hello"
	// longpoll: closed
}
