package vkmock

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchPath is the request of the benchmarks: a user token, three ids,
// fields and an enum, so every check runs.
const benchPath = "/method/users.get?user_ids=1,2,3&fields=photo_100,screen_name,sex&name_case=nom&v=5.199"

// loadGen sends requests from a fixed number of workers over keep-alive
// connections and reports the time they took.
type loadGen struct {
	client  *http.Client
	workers int
}

func newLoadGen(workers int) *loadGen {
	tr := &http.Transport{MaxIdleConns: workers * 2, MaxIdleConnsPerHost: workers * 2, DisableCompression: true}
	return &loadGen{client: &http.Client{Transport: tr}, workers: workers}
}

func (g *loadGen) run(tb testing.TB, url, token string, n int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			for next.Add(1) <= int64(n) {
				resp, err := g.client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		tb.Fatalf("%d requests failed", f)
	}
	return time.Since(start)
}

// BenchmarkMockVsBare measures requests per second of the mock with full
// validation against a bare net/http handler that returns a fixed body of
// the same size, with the same load generator, alternating batches in the
// same run. It reports both rates and their ratio.
//
//	go test -run XXX -bench MockVsBare -benchtime 20x ./vkmock
func BenchmarkMockVsBare(b *testing.B) {
	var ticks atomic.Int64
	// Each reading of the clock moves it 400 ms on, so the rate windows
	// run (and are checked on every request) without refusing any.
	clock := func() time.Time {
		return time.Unix(1_700_000_000, 0).Add(time.Duration(ticks.Add(1)) * 400 * time.Millisecond)
	}
	mock := testServer(b, WithClock(clock))
	token := mock.Tokens().Of(TokenUser).Token

	// The bare handler returns exactly the mock's answer.
	resp, err := http.Get(mock.URL() + benchPath + "&access_token=" + token)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) < 100 || string(body[:12]) != `{"response":` {
		b.Fatalf("mock answer: %s", body)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer bare.Close()

	gen := newLoadGen(8)
	const batch = 2000
	gen.run(b, bare.URL+benchPath, token, batch) // warm up connections
	gen.run(b, mock.URL()+benchPath, token, batch)
	var bareTime, mockTime time.Duration
	b.ResetTimer()
	for range b.N {
		bareTime += gen.run(b, bare.URL+benchPath, token, batch)
		mockTime += gen.run(b, mock.URL()+benchPath, token, batch)
	}
	b.StopTimer()
	bareRPS := float64(b.N*batch) / bareTime.Seconds()
	mockRPS := float64(b.N*batch) / mockTime.Seconds()
	b.ReportMetric(bareRPS, "bare-req/s")
	b.ReportMetric(mockRPS, "mock-req/s")
	b.ReportMetric(mockRPS/bareRPS, "ratio")
	b.ReportMetric(0, "ns/op")
	if errs := countErrors(mock.Requests().All()); errs > 0 {
		b.Fatalf("%d mock requests answered an error", errs)
	}
}

func countErrors(recs []RequestRecord) int {
	n := 0
	for _, r := range recs {
		if r.ErrorCode != nil {
			n++
		}
	}
	return n
}

// BenchmarkHandler measures the mock's handler alone, without the network.
func BenchmarkHandler(b *testing.B) {
	var ticks atomic.Int64
	clock := func() time.Time {
		return time.Unix(1_700_000_000, 0).Add(time.Duration(ticks.Add(1)) * 400 * time.Millisecond)
	}
	s := MustNew(WithClock(clock))
	token := s.Tokens().Of(TokenUser).Token
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, benchPath, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK || w.Body.Len() < 100 || w.Body.Bytes()[2] != 'r' {
				b.Fatalf("answer %d %s", w.Code, w.Body.Bytes())
			}
		}
	})
}

// BenchmarkHandlerUncached is BenchmarkHandler with a different request
// each time, so every answer is synthesised afresh.
func BenchmarkHandlerUncached(b *testing.B) {
	s := MustNew(WithRateLimits(false))
	token := s.Tokens().Of(TokenUser).Token
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest(http.MethodGet, benchPath+"&offset="+strconv.Itoa(i), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.Bytes()[2] != 'r' {
			b.Fatalf("answer %d %s", w.Code, w.Body.Bytes())
		}
	}
}
