package benchmarks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
)

// userServer is the answer of messages.getLongPollServer.
type userServer struct {
	Key    string `json:"key"`
	Server string `json:"server"`
	TS     int64  `json:"ts"`
	PTS    int64  `json:"pts"`
}

// getUserServer calls messages.getLongPollServer by hand.
func getUserServer(b *testing.B, hc *http.Client, r *rig) userServer {
	resp, err := hc.PostForm(r.url()+"/method/messages.getLongPollServer", url.Values{
		"lp_version": {"3"}, "need_pts": {"1"}, "access_token": {r.userToken()}, "v": {"5.199"}})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ Response userServer }
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Response.Server == "" {
		b.Fatalf("messages.getLongPollServer: %v", err)
	}
	return s.Response
}

// BenchmarkUserLongPollDrain drains 20,000 new-message updates queued in
// the user's stream, three times per client, in turns: vkapi/userlongpoll
// (resuming from the ts and pts before them, a handler that does nothing)
// against a bare net/http loop decoding each answer with encoding/json.
//
//	go test -run '^$' -bench UserLongPollDrain -benchtime 1x
func BenchmarkUserLongPollDrain(b *testing.B) {
	interleavedDrain(b, []drainCase{
		userQueued("vkerr_user", startUserVkerr),
		userQueued("bare_user", startUserBare),
	})
}

type userClient func(b *testing.B, r *rig, from userServer, on func(int)) (stop func())

// userQueued is a drain case: a fresh mock with drainEvents updates queued
// in the user's stream after from.
func userQueued(name string, start userClient) drainCase {
	return drainCase{name, func(b *testing.B) (func(func(int)) func(), func()) {
		r := newRig(b, drainEvents+16)
		from := getUserServer(b, http.DefaultClient, r)
		for i := range drainEvents {
			r.userMessage(b, i)
		}
		return func(on func(int)) func() { return start(b, r, from, on) }, r.close
	}}
}

func startUserVkerr(b *testing.B, r *rig, start userServer, on func(int)) func() {
	api := vkapi.New(r.userToken(), vkapi.WithBaseURL(r.url()), vkapi.WithTokenKind(vkapi.KindUser))
	p := userlongpoll.New(api, userlongpoll.Config{
		Start:   &userlongpoll.Position{TS: start.TS, PTS: start.PTS},
		Handler: userlongpoll.HandlerFunc(func(context.Context, *userlongpoll.Update) error { on(1); return nil }),
	})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	return func() {
		_ = p.Close()
		<-done // Run's error after Close says only that it was closed
	}
}

// startUserBare is the baseline: one messages.getLongPollServer by hand,
// then a_check in a loop decoded with encoding/json.
func startUserBare(b *testing.B, r *rig, start userServer, on func(int)) func() {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	srv := getUserServer(b, hc, r)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		ts := start.TS
		for ctx.Err() == nil {
			u := "http://" + srv.Server + "?act=a_check&wait=25&mode=234&version=3&key=" + url.QueryEscape(srv.Key) + "&ts=" + strconv.FormatInt(ts, 10)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			resp, err := hc.Do(req)
			if err != nil {
				continue
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				continue
			}
			var a struct {
				TS      int64               `json:"ts"`
				PTS     int64               `json:"pts"`
				Updates [][]json.RawMessage `json:"updates"`
			}
			if json.Unmarshal(body, &a) != nil {
				continue
			}
			on(len(a.Updates))
			ts = a.TS
		}
	})
	return func() { cancel(); wg.Wait() }
}
