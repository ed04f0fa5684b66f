package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// benchBody is a users.get answer of typical size.
const benchBody = `{"response":[{"id":1,"first_name":"Pavel","last_name":"Durov","can_access_closed":true,"is_closed":false,"photo_100":"https://sun1-1.userapi.com/s/v1/ig2/abc.jpg?size=100x100&quality=96&crop=0,0,400,400&ava=1","city":{"id":2,"title":"Saint Petersburg"}}]}`

type benchUser struct {
	ID        int    `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Photo100  string `json:"photo_100"`
	City      struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
	} `json:"city"`
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchTransport() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 100
	return &http.Client{Transport: t}
}

// BenchmarkBareHTTP is the baseline: the same POST form with a Bearer token
// and the same JSON decode, by hand with net/http.
func BenchmarkBareHTTP(b *testing.B) {
	srv := benchServer(b)
	hc := benchTransport()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		bareCall(b, ctx, hc, srv.URL)
	}
}

// bareCall is what a program does without vkapi: POST the form with the
// token in the header, read the body, decode the envelope.
func bareCall(b *testing.B, ctx context.Context, hc *http.Client, base string) {
	form := url.Values{"user_ids": {"1"}, "fields": {"photo_100,city"}, "v": {"5.199"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/method/users.get", strings.NewReader(form.Encode()))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		Response []benchUser `json:"response"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Response) != 1 {
		b.Fatal(err)
	}
}

// BenchmarkCall is one Call doing the same: the limiter on (with a budget
// that never makes it wait), retries, logging and observation checks all in
// the path.
func BenchmarkCall(b *testing.B) {
	benchCall(b, Limit{Per: time.Second, Group: 1 << 30}, KindGroup)
}

// BenchmarkCallNoLimiter is BenchmarkCall with the limiter off.
func BenchmarkCallNoLimiter(b *testing.B) {
	benchCall(b, Limit{Off: true}, KindGroup)
}

func benchCall(b *testing.B, l Limit, k TokenKind) {
	srv := benchServer(b)
	c := New(testToken, WithBaseURL(srv.URL), WithHTTPClient(benchTransport()), WithLimit(l), WithTokenKind(k))
	ctx := context.Background()
	p := Params{"user_ids": 1, "fields": []string{"photo_100", "city"}}
	b.ReportAllocs()
	for b.Loop() {
		var users []benchUser
		if err := c.Call(ctx, "users.get", p, &users); err != nil || len(users) != 1 {
			b.Fatal(err)
		}
	}
}

var limitDuration = flag.Duration("vkapi.limitdur", 0, "duration of BenchmarkLimiterUtilisation (default 10s, or $VKAPI_LIMIT_DURATION)")

func limiterBenchDuration() time.Duration {
	if *limitDuration > 0 {
		return *limitDuration
	}
	if d, err := time.ParseDuration(os.Getenv("VKAPI_LIMIT_DURATION")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

// BenchmarkLimiterUtilisation has 50 callers share one token against
// vkmock's strict rolling window for a while (10 s unless -vkapi.limitdur
// or VKAPI_LIMIT_DURATION says otherwise) and reports the share of the
// budget delivered and the errors 6 the mock answered.
func BenchmarkLimiterUtilisation(b *testing.B) {
	for _, tc := range []struct {
		name   string
		kind   vkmock.TokenKind
		budget float64
	}{{"group", vkmock.TokenGroup, 20}, {"user", vkmock.TokenUser, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			d := limiterBenchDuration()
			for b.Loop() {
				s := vkmocktest.NewServer(b)
				c := New(s.Tokens().Of(tc.kind).Token, WithBaseURL(s.URL()), WithTokenKind(tc.kind),
					WithRetry(RetryPolicy{MaxAttempts: 1}))
				res := runLoad(c, 50, d, "users.get", Params{"user_ids": 1})
				err6 := countCode(s.Requests().All(), vkerr.TooMany)
				b.ReportMetric(100*float64(res.OK)/(tc.budget*d.Seconds()), "%budget")
				b.ReportMetric(float64(err6+res.TooMany), "err6")
				b.ReportMetric(float64(res.OK), "calls")
				if res.Other > 0 {
					b.Fatalf("%d failed calls: %v", res.Other, res.FirstErr)
				}
			}
		})
	}
}

// BenchmarkCallVsBare alternates one bare net/http request and one Call in
// every iteration and times each, so that both see the same machine load;
// it reports their mean times and the ratio Call/bare.
func BenchmarkCallVsBare(b *testing.B) {
	srv := benchServer(b)
	hcBare := benchTransport()
	c := New(testToken, WithBaseURL(srv.URL), WithHTTPClient(benchTransport()),
		WithLimit(Limit{Per: time.Second, Group: 1 << 30}), WithTokenKind(KindGroup))
	ctx := context.Background()
	p := Params{"user_ids": 1, "fields": []string{"photo_100", "city"}}
	var bare, call time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		bareCall(b, ctx, hcBare, srv.URL)
		t1 := time.Now()
		var users []benchUser
		if err := c.Call(ctx, "users.get", p, &users); err != nil || len(users) != 1 {
			b.Fatal(err)
		}
		t2 := time.Now()
		bare += t1.Sub(t0)
		call += t2.Sub(t1)
		n++
	}
	b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-ns/op")
	b.ReportMetric(float64(call.Nanoseconds())/float64(n), "call-ns/op")
	b.ReportMetric(float64(call)/float64(bare), "call/bare")
}

var batchDuration = flag.Duration("vkapi.batchdur", 0, "duration of BenchmarkBatchingThroughput (default 10s, or $VKAPI_BATCH_DURATION)")

func batchBenchDuration(def time.Duration) time.Duration {
	if *batchDuration > 0 {
		return *batchDuration
	}
	if d, err := time.ParseDuration(os.Getenv("VKAPI_BATCH_DURATION")); err == nil && d > 0 {
		return d
	}
	return def
}

// batchRun is the outcome of runBatching.
type batchRun struct {
	calls, failed int64 // calls that completed within the run, calls that failed
	firstErr      error
	elapsed       time.Duration
	requests      int // requests the mock answered
	executes      int // of which execute
	err6          int // of which error 6
	carried       int // API calls inside the executes
}

func (r batchRun) perSecond() float64 { return float64(r.calls) / r.elapsed.Seconds() }

// fill is the mean number of calls per execute request.
func (r batchRun) fill() float64 { return float64(r.carried) / float64(max(1, r.executes)) }

// runBatching has callers goroutines call users.get through WithBatching,
// each as fast as its calls come back, on vkmock's preloaded community
// token with the mock's strict rate limits on, for d. It counts the calls
// that succeeded and, from the mock's request log, the requests, the errors
// 6 and the calls each execute carried.
//
// With mem set the mock is served in memory, for a test under
// testing/synctest: the run then takes d of the fake clock.
func runBatching(tb testing.TB, callers int, d time.Duration, opts BatchOptions, mem bool) batchRun {
	var s *vkmock.Server
	base := []Option{WithTokenKind(KindGroup), WithBatching(opts)}
	if mem {
		s = memMock(tb, vkmock.WithRequestLogSize(1<<16))
		base = append(base, WithBaseURL(memURL), WithHTTPClient(mockClient(s)))
	} else {
		s = vkmocktest.NewServer(tb, vkmock.WithRequestLogSize(1<<16))
		base = append(base, WithBaseURL(s.URL()))
	}
	c := New(s.Tokens().Of(vkmock.TokenGroup).Token, base...)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var calls, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for i := range callers {
		wg.Go(func() {
			for j := 0; ctx.Err() == nil; j++ {
				var users []struct {
					ID int64 `json:"id"`
				}
				id := 1 + (i*7919+j)%100000
				err := c.Call(ctx, "users.get", Params{"user_ids": id}, &users)
				switch {
				case err == nil && len(users) == 1 && users[0].ID == int64(id):
					calls.Add(1)
				case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
				default:
					if failed.Add(1) == 1 {
						firstErr.Store(fmt.Errorf("users.get %d: %v, %+v", id, err, users))
					}
				}
			}
		})
	}
	wg.Wait()
	r := batchRun{calls: calls.Load(), failed: failed.Load(), elapsed: time.Since(start)}
	if e, ok := firstErr.Load().(error); ok {
		r.firstErr = e
	}
	for _, rec := range s.Requests().All() {
		r.requests++
		if rec.ErrorCode != nil && *rec.ErrorCode == vkerr.TooMany {
			r.err6++
		}
		if rec.Method == "execute" {
			r.executes++
			r.carried += strings.Count(rec.Param("code"), "API.")
		}
	}
	return r
}

// BenchmarkBatchingThroughput is the target of execute batching: 200
// callers of users.get on one community token through WithBatching,
// against vkmock's strict rolling window (20 requests in any second), for
// 10 s unless -vkapi.batchdur or VKAPI_BATCH_DURATION says otherwise. The
// budget is 25 calls × 20 requests = 500 calls/s. It reports calls/s, the
// share of that budget, the errors 6 the mock answered, the execute
// requests and their mean fill.
func BenchmarkBatchingThroughput(b *testing.B) {
	d := batchBenchDuration(10 * time.Second)
	for b.Loop() {
		r := runBatching(b, 200, d, BatchOptions{}, false)
		if r.failed > 0 {
			b.Fatalf("%d failed calls: %v", r.failed, r.firstErr)
		}
		b.ReportMetric(r.perSecond(), "calls/s")
		b.ReportMetric(100*r.perSecond()/500, "%budget")
		b.ReportMetric(float64(r.err6), "err6")
		b.ReportMetric(float64(r.executes), "executes")
		b.ReportMetric(r.fill(), "calls/execute")
		b.ReportMetric(float64(r.calls), "calls")
	}
}
