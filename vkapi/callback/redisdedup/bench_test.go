package redisdedup

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkevent"
)

// BenchmarkReceiver measures Callback requests per second over loopback
// HTTP, each with a new event_id: a bare net/http handler that reads the
// body and answers ok (the baseline), the receiver with the memory
// de-duplication, and the receiver with the Redis one. Run together:
//
//	go test -run XXX -bench BenchmarkReceiver -benchtime 20000x ./vkapi/callback/redisdedup
func BenchmarkReceiver(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	noop := vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })
	b.Run("bare", func(b *testing.B) { benchHandler(b, bare) })
	b.Run("memory", func(b *testing.B) {
		rc, err := callback.New(callback.Config{Secret: "s3cret", Handler: noop})
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		benchHandler(b, rc)
	})
	b.Run("redis", func(b *testing.B) {
		addr := testRedisAddr(b)
		rc, err := callback.New(callback.Config{Secret: "s3cret", Handler: noop, Dedup: New(testClient(b, addr), Options{Prefix: testPrefix(b), TTL: time.Minute})})
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		benchHandler(b, rc)
	})
}

var benchSeq atomic.Int64

func benchHandler(b *testing.B, h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := strconv.FormatInt(benchSeq.Add(1), 16) + strconv.FormatInt(time.Now().UnixNano(), 36)
			body := `{"type":"message_new","group_id":1,"event_id":"` + id + `","v":"5.199","secret":"s3cret","object":{"message":{"id":1,"peer_id":7,"from_id":7,"text":"hello"}}}`
			resp, err := client.Post(srv.URL, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			a, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(a) != "ok" {
				b.Errorf("answer %d %q", resp.StatusCode, a)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
