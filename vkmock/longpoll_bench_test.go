package vkmock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkLongPollWaiters holds 2,000 concurrent a_check requests on the
// mock and reports the memory each costs (client and server together, on
// loopback), against the same 2,000 requests held by a bare net/http
// handler that blocks on a channel. One event releases all the mock's.
//
//	go test -run '^$' -bench LongPollWaiters -benchtime 3x ./vkmock
func BenchmarkLongPollWaiters(b *testing.B) {
	const n = 2000
	b.Run("vkmock", func(b *testing.B) {
		s := testServer(b, WithRateLimits(false))
		if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: DefaultGroupID, Enabled: true}); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			key, ts, _ := s.lp.NewKey(DefaultGroupID)
			u := s.URL() + "/lp/wh" + strconv.FormatInt(DefaultGroupID, 10) + "?act=a_check&key=" + key + "&wait=90&ts=" + strconv.FormatInt(ts, 10)
			holdAndRelease(b, n, u, func() int { return s.LongPoll().Waiting() }, func() {
				if _, err := s.World().Inbox(InboxMessage{FromID: 7, GroupID: DefaultGroupID, Text: "go"}); err != nil {
					b.Error(err)
				}
			})
		}
	})
	b.Run("bare_net_http", func(b *testing.B) {
		var holding atomic.Int64
		var mu sync.Mutex
		release := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ch := release
			mu.Unlock()
			holding.Add(1)
			select {
			case <-ch:
			case <-r.Context().Done():
			}
			holding.Add(-1)
			_, _ = io.WriteString(w, `{"ts":"1","updates":[]}`)
		}))
		defer ts.Close()
		for range b.N {
			holdAndRelease(b, n, ts.URL, func() int { return int(holding.Load()) }, func() {
				mu.Lock()
				close(release)
				release = make(chan struct{})
				mu.Unlock()
			})
		}
	})
}

// holdAndRelease starts n requests, waits until the server holds them all,
// measures the memory in use, releases them and waits for the answers.
func holdAndRelease(b *testing.B, n int, url string, holding func() int, release func()) {
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	for holding() < n {
		runtime.Gosched() // a benchmark may spin: nothing to wait on but the count
	}
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	release()
	wg.Wait()
	inUse := func(m *runtime.MemStats) float64 { return float64(m.HeapInuse + m.StackInuse) }
	b.ReportMetric((inUse(&during)-inUse(&before))/float64(n), "B/waiter")
}
