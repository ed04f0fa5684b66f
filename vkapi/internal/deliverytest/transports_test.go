package deliverytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// botsLongPoll: a community's messages through Bots Long Poll, the
// position in one MemoryStore shared by the clients.
func botsLongPoll(t *testing.T) (func(*testing.T, int, int), func(*testing.T, handlerFunc) func()) {
	opt, served := vkmocktest.Served("groups.getLongPollServer")
	mock := vkmocktest.NewServer(t, opt)
	mock.SetRateLimits(false)
	store := &longpoll.MemoryStore{}
	send := func(t *testing.T, from, n int) {
		wait(t, served, "the client's Long Poll server")
		for i := from; i < from+n; i++ {
			if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: vkmock.WorldFriendID, GroupID: vkmock.DefaultGroupID, Text: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := func(t *testing.T, h handlerFunc) func() {
		api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindGroup))
		p := longpoll.New(api, longpoll.Config{GroupID: vkmock.DefaultGroupID, Store: store, Wait: time.Second,
			Handler: vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
				f, ok := e.MessageFields()
				if !ok {
					return nil
				}
				seq, err := seqOf(f.Text)
				if err != nil {
					return err
				}
				return h(ctx, seq)
			})})
		return stopper(t, p.Run, func() { _ = p.Close(); api.Close() })
	}
	return send, start
}

// userLongPoll: messages to a user through User Long Poll, the position in
// one MemoryStore shared by the clients.
func userLongPoll(t *testing.T) (func(*testing.T, int, int), func(*testing.T, handlerFunc) func()) {
	opt, served := vkmocktest.Served("messages.getLongPollServer")
	mock := vkmocktest.NewServer(t, opt)
	mock.SetRateLimits(false)
	store := &longpoll.MemoryStore{}
	send := func(t *testing.T, from, n int) {
		wait(t, served, "the client's Long Poll server")
		for i := from; i < from+n; i++ {
			up := []json.RawMessage{json.RawMessage("4"), json.RawMessage(fmt.Sprint(1000 + i)), json.RawMessage("1"), json.RawMessage("7"),
				json.RawMessage("1700000000"), json.RawMessage(fmt.Sprintf("%q", fmt.Sprint("m", i)))}
			if err := mock.UserLongPoll().Inject(vkmock.UserUpdate{UserID: vkmock.DefaultUserID, Update: up}); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := func(t *testing.T, h handlerFunc) func() {
		api := vkapi.New(mock.Tokens().Of(vkmock.TokenUser).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindUser))
		p := userlongpoll.New(api, userlongpoll.Config{UserID: vkmock.DefaultUserID, Store: store, Wait: time.Second,
			Handler: userlongpoll.HandlerFunc(func(ctx context.Context, u *userlongpoll.Update) error {
				m, err := u.Message()
				if err != nil || u.Code != userlongpoll.CodeNewMessage {
					return nil
				}
				seq, err := seqOf(m.Text)
				if err != nil {
					return err
				}
				return h(ctx, seq)
			})})
		return stopper(t, p.Run, func() { _ = p.Close(); api.Close() })
	}
	return send, start
}

// callbackAPI: a community's messages through vkmock's Callback sender to
// receivers that share one de-duplication; while no receiver runs, the
// server answers 503 and the sender resends, as VK does.
func callbackAPI(t *testing.T) (func(*testing.T, int, int), func(*testing.T, handlerFunc) func()) {
	mock := vkmocktest.NewServer(t)
	mock.SetRateLimits(false)
	sched := make([]time.Duration, 500)
	for i := range sched {
		sched[i] = 5 * time.Millisecond
	}
	mock.Callback().SetConfig(vkmock.CallbackConfig{Schedule: sched, Timeout: time.Second, Pause: 20 * time.Millisecond, Senders: 4})
	var current atomic.Pointer[callback.Receiver]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc := current.Load(); rc != nil {
			rc.ServeHTTP(w, r)
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	dedup := callback.NewMemoryDedup(10_000)
	code := mock.Callback().ConfirmationCode(vkmock.DefaultGroupID)
	start := func(t *testing.T, h handlerFunc) func() {
		rc, err := callback.New(callback.Config{Secret: "s3cret", Confirmation: code, GroupID: vkmock.DefaultGroupID, Dedup: dedup, BusyRetry: time.Second,
			Handler: vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
				f, ok := e.MessageFields()
				if !ok {
					return nil
				}
				seq, err := seqOf(f.Text)
				if err != nil {
					return err
				}
				return h(ctx, seq)
			})})
		if err != nil {
			t.Fatal(err)
		}
		current.Store(rc)
		return func() {
			current.CompareAndSwap(rc, nil)
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the process is gone: the handler's context ends at once
			_ = rc.Shutdown(ctx)
		}
	}
	registered := false
	send := func(t *testing.T, from, n int) {
		if !registered {
			vkmocktest.Register(t, mock, srv.URL, "contract", "s3cret")
			registered = true
		}
		for i := from; i < from+n; i++ {
			if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: vkmock.WorldFriendID, GroupID: vkmock.DefaultGroupID, Text: fmt.Sprint("m", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return send, start
}
