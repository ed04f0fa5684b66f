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

// drainEvents is how many queued events a drain hands to the handler.
const drainEvents = 20000

// latencyEvents is how many events the latency measure writes, one at a
// time.
const latencyEvents = 2000

// lpClient starts a Bots Long Poll client of the rig's community from ts
// 0 (before the first event) that calls on(n) after handling n events, and
// returns a function that stops it and waits for it.
type lpClient func(b *testing.B, r *rig, on func(n int)) (stop func())

// lpClients are the clients compared, each with a handler that does
// nothing but count.
var lpClients = []struct {
	name  string
	start lpClient
}{
	{"vkerr", startVkerr(func() longpoll.Store { return &longpoll.MemoryStore{} }, false)},
	{"vkerr_typed", startVkerr(func() longpoll.Store { return &longpoll.MemoryStore{} }, true)},
	{"vksdk", startVksdk(false)},
	{"vksdk_typed", startVksdk(true)},
	{"bare", startBare},
}

// BenchmarkBotsLongPollDrain drains 20,000 events queued in the mock's
// history through one poller with a handler that does nothing: events/s,
// and allocations per event of the whole process (the mock's included).
// _typed clients decode each message_new into their message type.
//
//	go test -run '^$' -bench BotsLongPollDrain -benchtime 1x
func BenchmarkBotsLongPollDrain(b *testing.B) {
	for _, c := range lpClients {
		b.Run(c.name, func(b *testing.B) { benchDrain(b, c.start) })
	}
}

// BenchmarkBotsLongPollStore is the vkerr drain with the position kept in
// memory, in a file and in Redis (each saves after every event). The Redis
// variant runs when VKERR_REDIS_ADDR names a server (host:port).
func BenchmarkBotsLongPollStore(b *testing.B) {
	b.Run("redis", func(b *testing.B) {
		addr := os.Getenv("VKERR_REDIS_ADDR")
		if addr == "" {
			b.Skip("VKERR_REDIS_ADDR is not set")
		}
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		prefix := "vkerr:bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
		benchDrain(b, startVkerr(func() longpoll.Store { return redisstore.New(rdb, prefix) }, false))
	})
	b.Run("memory", func(b *testing.B) {
		benchDrain(b, startVkerr(func() longpoll.Store { return &longpoll.MemoryStore{} }, false))
	})
	b.Run("file", func(b *testing.B) {
		dir := b.TempDir()
		benchDrain(b, startVkerr(func() longpoll.Store { return longpoll.NewFileStore(dir + "/bot.ts") }, false))
	})
}

func benchDrain(b *testing.B, start lpClient) {
	for range b.N {
		b.StopTimer()
		r := newRig(b, drainEvents)
		for i := range drainEvents {
			r.inbox(b, "message "+strconv.Itoa(i))
		}
		s := newSink(drainEvents)
		collectGarbage()
		before := sampleMem()
		b.StartTimer()
		t0 := time.Now()
		stop := start(b, r, s.hit)
		s.wait(b)
		d := time.Since(t0)
		b.StopTimer()
		reportPerEvent(b, drainEvents, d, before)
		stop()
	}
}

// BenchmarkBotsLongPollLatency writes 2,000 messages to the inbox one at a
// time, each after the previous one reached the handler: p50 and p99 of
// inbox write → handler.
func BenchmarkBotsLongPollLatency(b *testing.B) {
	for _, c := range lpClients {
		if c.name == "vkerr_typed" || c.name == "vksdk_typed" {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				r := newRig(b, latencyEvents+1)
				got := make(chan time.Time, 1)
				stop := start0(b, r, c.start, got)
				b.StartTimer()
				lat := make([]time.Duration, latencyEvents)
				for i := range lat {
					t0 := time.Now()
					r.inbox(b, "message "+strconv.Itoa(i))
					lat[i] = (<-got).Sub(t0)
				}
				b.StopTimer()
				reportLatency(b, lat)
				stop()
			}
		})
	}
}

// start0 starts a client whose handler sends its time to got, once it has
// polled at least once (one event written and received first).
func start0(b *testing.B, r *rig, start lpClient, got chan time.Time) func() {
	stop := start(b, r, func(int) { got <- time.Now() })
	r.inbox(b, "warm-up")
	<-got
	return stop
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
