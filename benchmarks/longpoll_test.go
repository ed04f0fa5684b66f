package benchmarks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	vksdkapi "github.com/SevereCloud/vksdk/v3/api"
	"github.com/SevereCloud/vksdk/v3/events"
	longpollbot "github.com/SevereCloud/vksdk/v3/longpoll-bot"
	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkevent"
)

// lpClient starts a Bots Long Poll client of the rig's community from ts
// 0 (before the first event) that calls on(n) after handling n events, and
// returns a function that stops it and waits for it.
type lpClient func(b *testing.B, r *rig, on func(n int)) (stop func())

func memoryStore() longpoll.Store { return &longpoll.MemoryStore{} }

// lpClients are the clients compared, each with a handler that does
// nothing but count. _typed clients decode each message_new into their
// message type.
var lpClients = []struct {
	name  string
	start lpClient
}{
	{"vkerr", startVkerr(memoryStore, false)},
	{"vksdk", startVksdk(false)},
	{"bare", startBare},
	{"vkerr_typed", startVkerr(memoryStore, true)},
	{"vksdk_typed", startVksdk(true)},
}

// queued is a drain case: a fresh mock with drainEvents message_new
// queued in its history, drained by start.
func queued(name string, start lpClient) drainCase {
	return drainCase{name, func(b *testing.B) (func(func(int)) func(), func()) {
		r := newRig(b, drainEvents)
		for i := range drainEvents {
			r.inbox(b, "message "+strconv.Itoa(i))
		}
		return func(on func(int)) func() { return start(b, r, on) }, r.close
	}}
}

// BenchmarkBotsLongPollDrain drains 20,000 events queued in the mock's
// history through one poller with a handler that does nothing, three
// times per client, the clients taking turns: events/s, and allocations
// per event of the whole process (the mock's included).
//
//	go test -run '^$' -bench BotsLongPollDrain -benchtime 1x
func BenchmarkBotsLongPollDrain(b *testing.B) {
	var cases []drainCase
	for _, c := range lpClients {
		cases = append(cases, queued(c.name, c.start))
	}
	interleavedDrain(b, cases)
}

// BenchmarkBotsLongPollStore is the vkerr drain with the position kept in
// memory, in a file and in Redis (each saves after every event). The Redis
// case runs when VKERR_REDIS_ADDR names a server (host:port).
func BenchmarkBotsLongPollStore(b *testing.B) {
	dir := b.TempDir()
	cases := []drainCase{
		queued("memory", startVkerr(memoryStore, false)),
		queued("file", startVkerr(func() longpoll.Store { return longpoll.NewFileStore(dir + "/bot.ts") }, false)),
	}
	if addr := os.Getenv("VKERR_REDIS_ADDR"); addr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		prefix := "vkerr:bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
		cases = append(cases, queued("redis", startVkerr(func() longpoll.Store { return redisstore.New(rdb, prefix) }, false)))
	} else {
		b.Log("VKERR_REDIS_ADDR is not set: no Redis case")
	}
	interleavedDrain(b, cases)
}

// BenchmarkBotsLongPollLatency writes 2,000 messages to each client's
// inbox one at a time, each after the previous one reached the handler,
// the clients taking turns: p50 and p99 of inbox write → handler.
func BenchmarkBotsLongPollLatency(b *testing.B) {
	var cases []latencyCase
	for _, c := range lpClients[:3] {
		cases = append(cases, latencyCase{c.name, func(b *testing.B, got chan<- time.Time) (func(int), func()) {
			r := newRig(b, latencyEvents+16)
			stop := c.start(b, r, func(int) { got <- time.Now() })
			return func(i int) { r.inbox(b, "message "+strconv.Itoa(i)) }, func() { stop(); r.close() }
		}})
	}
	interleavedLatency(b, cases)
}

func startVkerr(store func() longpoll.Store, typed bool) lpClient {
	return func(b *testing.B, r *rig, on func(int)) func() {
		st := store()
		if err := st.Save(context.Background(), r.groupID(), longpoll.Position{TS: "0"}); err != nil {
			b.Fatal(err)
		}
		api := vkapi.New(r.groupToken(), vkapi.WithBaseURL(r.url()), vkapi.WithTokenKind(vkapi.KindGroup))
		var h vkevent.Handler = vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { on(1); return nil })
		if typed {
			var rt vkevent.Router
			rt.OnMessageNew(func(context.Context, *vkevent.Event, *vkevent.MessageNew) error { on(1); return nil })
			h = &rt
		}
		p := longpoll.New(api, longpoll.Config{GroupID: r.groupID(), Handler: h, Store: st})
		done := make(chan error, 1)
		go func() { done <- p.Run(context.Background()) }()
		return func() {
			_ = p.Close()
			<-done // Run's error after Close says only that it was closed
		}
	}
}

func startVksdk(typed bool) lpClient {
	return func(b *testing.B, r *rig, on func(int)) func() {
		vk := vksdkapi.NewVK(r.groupToken())
		vk.MethodURL = r.url() + "/method/"
		vk.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		lp, err := longpollbot.NewLongPoll(vk, int(r.groupID()))
		if err != nil {
			b.Fatal(err)
		}
		lp.Client = vk.Client
		lp.Ts = "0"
		if typed {
			lp.MessageNew(func(context.Context, events.MessageNewObject) { on(1) })
		} else {
			lp.FullResponse(func(resp longpollbot.Response) { on(len(resp.Updates)) })
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = lp.RunWithContext(ctx) })
		return func() { cancel(); wg.Wait() }
	}
}

// bareEvent is the envelope the bare loop decodes each update into.
type bareEvent struct {
	Type    string          `json:"type"`
	EventID string          `json:"event_id"`
	GroupID int64           `json:"group_id"`
	V       string          `json:"v"`
	Object  json.RawMessage `json:"object"`
}

// startBare is the baseline: net/http and encoding/json by hand, one
// groups.getLongPollServer, then a_check in a loop (no backoff, store,
// de-duplication or observer).
func startBare(b *testing.B, r *rig, on func(int)) func() {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	var srv struct {
		Response struct {
			Key    string `json:"key"`
			Server string `json:"server"`
		} `json:"response"`
	}
	resp, err := hc.PostForm(r.url()+"/method/groups.getLongPollServer", url.Values{
		"group_id": {strconv.FormatInt(r.groupID(), 10)}, "access_token": {r.groupToken()}, "v": {"5.199"}})
	if err != nil {
		b.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&srv)
	resp.Body.Close()
	if err != nil || srv.Response.Server == "" {
		b.Fatalf("groups.getLongPollServer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		ts := "0"
		for ctx.Err() == nil {
			u := srv.Response.Server + "?act=a_check&key=" + url.QueryEscape(srv.Response.Key) + "&wait=25&ts=" + ts
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
				TS      string      `json:"ts"`
				Updates []bareEvent `json:"updates"`
			}
			if json.Unmarshal(body, &a) != nil {
				continue
			}
			for range a.Updates {
				on(1)
			}
			ts = a.TS
		}
	})
	return func() { cancel(); wg.Wait() }
}
