package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vksdkcallback "github.com/SevereCloud/vksdk/v3/callback"
	"github.com/SevereCloud/vksdk/v3/events"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkapi/callback/redisdedup"
	"github.com/vkerr/vkerr/vkevent"
)

const (
	callbackRequests = 20000
	callbackSenders  = 8
	callbackSecret   = "bench-secret"
	callbackRounds   = 10
)

// callbackBodies are message_new bodies as VK POSTs them, each with its own
// event_id; the object is one the mock emits for an inbox message.
func callbackBodies(b *testing.B, r *rig, n int) [][]byte {
	obj := r.messageNewObject(b)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"group_id":%d,"type":"message_new","event_id":"%040x","v":"5.199","object":%s,"secret":%q}`,
			r.groupID(), i+1, obj, callbackSecret)
	}
	return bodies
}

// BenchmarkCallbackReceiver POSTs 20,000 distinct message_new bodies from 8
// senders over loopback to each receiver and reports the requests answered
// ok per second. vkerr is vkapi/callback with memory de-duplication and a
// handler that does nothing; vksdk is the Go SDK's callback with no
// handler; bare decodes the same JSON into a struct, checks the secret and
// answers ok. Allocations are the whole process's (senders included).
//
//	go test -run '^$' -bench CallbackReceiver -benchtime 1x
func BenchmarkCallbackReceiver(b *testing.B) {
	receivers := []struct {
		name string
		make func(b *testing.B) (http.Handler, func())
	}{
		{"vkerr", func(b *testing.B) (http.Handler, func()) {
			rc, err := callback.New(callback.Config{Secret: callbackSecret, Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })})
			if err != nil {
				b.Fatal(err)
			}
			return rc, func() { _ = rc.Close() }
		}},
		{"vksdk", func(*testing.B) (http.Handler, func()) {
			cb := vksdkcallback.NewCallback()
			cb.SecretKey = callbackSecret
			cb.OnEvent(events.EventMessageNew, func(context.Context, events.GroupEvent) {})
			return http.HandlerFunc(cb.HandleFunc), func() {}
		}},
		{"bare", func(*testing.B) (http.Handler, func()) {
			return http.HandlerFunc(bareCallback), func() {}
		}},
	}
	if addr := os.Getenv("VKERR_REDIS_ADDR"); addr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		prefix := "vkerr:bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
		receivers = append(receivers, struct {
			name string
			make func(b *testing.B) (http.Handler, func())
		}{"vkerr_redis", func(b *testing.B) (http.Handler, func()) {
			rc, err := callback.New(callback.Config{Secret: callbackSecret, Dedup: redisdedup.New(rdb, redisdedup.Options{Prefix: prefix}),
				Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })})
			if err != nil {
				b.Fatal(err)
			}
			return rc, func() { _ = rc.Close() }
		}})
	} else {
		b.Log("VKERR_REDIS_ADDR is not set: no Redis case")
	}
	r := newRig(b, 16)
	bodies := callbackBodies(b, r, callbackRequests)
	urls := make([]string, len(receivers))
	for i, rc := range receivers {
		// The receiver's goroutines (its server's, its workers) carry its
		// name as a profile label: with -cpuprofile, `go tool pprof -tags`
		// shows each receiver's own CPU time.
		pprof.Do(context.Background(), pprof.Labels("receiver", rc.name), func(context.Context) {
			h, closeH := rc.make(b)
			srv := httptest.NewServer(h)
			urls[i] = srv.URL
			b.Cleanup(func() { srv.Close(); closeH() })
		})
	}
	// Rounds alternate the receivers, so that a change of the shared
	// machine's load falls on all of them alike.
	for range b.N {
		took := make([]time.Duration, len(receivers))
		allocs := make([]uint64, len(receivers))
		per := len(bodies) / callbackRounds
		for round := range callbackRounds {
			for i := range receivers {
				before := sampleMem()
				took[i] += postAll(b, urls[i], bodies[round*per:(round+1)*per])
				allocs[i] += sampleMem().mallocs - before.mallocs
			}
		}
		for i, rc := range receivers {
			b.ReportMetric(float64(per*callbackRounds)/took[i].Seconds(), rc.name+"-requests/s")
			b.ReportMetric(float64(allocs[i])/float64(per*callbackRounds), rc.name+"-allocs/request")
		}
		b.ReportMetric(took[2].Seconds()/took[0].Seconds(), "vkerr/bare-rate")
		b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "vkerr/vksdk-rate")
	}
}

// bareCallback is the baseline receiver.
func bareCallback(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var e struct {
		bareEvent
		Secret string `json:"secret"`
	}
	if json.Unmarshal(body, &e) != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if e.Secret != callbackSecret {
		http.Error(w, "bad secret", http.StatusForbidden)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// postAll POSTs every body from callbackSenders goroutines and returns how
// long it took; every answer must be 200 "ok".
func postAll(b *testing.B, url string, bodies [][]byte) time.Duration {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: callbackSenders}}
	defer hc.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range callbackSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				resp, err := hc.Post(url, "application/json", bytes.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(got) != "ok" {
					b.Errorf("answer %d %q", resp.StatusCode, got)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0)
}
