package longpoll

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// BenchmarkLongPoll measures, on loopback, the events per second through
// one poller from vkmock (a producer writes to the inbox as fast as it
// can) and the latency from the inbox write to the handler (one event at a
// time), against a bare net/http Long Poll server with a bare client loop
// in the same run.
//
//	go test -run '^$' -bench LongPoll -benchtime 20000x ./vkapi/longpoll
func BenchmarkLongPoll(b *testing.B) {
	for _, mode := range []string{"throughput", "latency"} {
		b.Run(mode+"/vkmock_poller", func(b *testing.B) { benchPoller(b, mode == "latency") })
		b.Run(mode+"/bare_net_http", func(b *testing.B) { benchBare(b, mode == "latency") })
	}
}

// probe is a handler that signals each event with its receive time.
type probe struct {
	got chan time.Time
}

func (p *probe) HandleEvent(context.Context, *vkevent.Event) error {
	p.got <- time.Now()
	return nil
}

// drive writes b.N events with write and reports events/s, or (latency)
// writes one at a time and reports p50 and p99 of write → handler.
func drive(b *testing.B, latency bool, write func(i int), got <-chan time.Time) {
	b.ResetTimer()
	start := time.Now()
	if latency {
		lat := make([]time.Duration, b.N)
		for i := range b.N {
			t0 := time.Now()
			write(i)
			lat[i] = (<-got).Sub(t0)
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		return
	}
	go func() {
		for i := range b.N {
			write(i)
		}
	}()
	for range b.N {
		<-got
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

func benchPoller(b *testing.B, latency bool) {
	mock := vkmocktest.NewServer(b, vkmock.WithRateLimits(false), vkmock.WithRequestLogSize(16))
	_ = mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true})
	mock.LongPoll().SetConfig(vkmock.LongPollConfig{HistoryEvents: 1 << 20, HistoryBytes: 1 << 30, MaxUpdates: 1000})
	api := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(mock.URL()), vkapi.WithTokenKind(vkapi.KindGroup))
	pr := &probe{got: make(chan time.Time, 1024)}
	store := &MemoryStore{}
	_ = store.Save(context.Background(), vkmock.DefaultGroupID, Position{TS: "0"})
	p := New(api, Config{Handler: pr, Store: store, DedupWindow: -1})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	defer func() { _ = p.Close(); <-done }()
	drive(b, latency, func(i int) {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: strconv.Itoa(i)}); err != nil {
			b.Error(err)
		}
	}, pr.got)
}

// bareServer is a minimal Long Poll server: a_check holds until events
// after ts exist, then answers them all.
type bareServer struct {
	mu     sync.Mutex
	events [][]byte
	notify chan struct{}
}

func (s *bareServer) add(e []byte) {
	s.mu.Lock()
	s.events = append(s.events, e)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

func (s *bareServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ts, _ := strconv.Atoi(r.URL.Query().Get("ts"))
	for {
		s.mu.Lock()
		if len(s.events) > ts {
			batch := make([]json.RawMessage, 0, len(s.events)-ts)
			for _, e := range s.events[ts:] {
				batch = append(batch, e)
			}
			n := len(s.events)
			s.mu.Unlock()
			_, _ = w.Write(vkevent.AppendUpdates(nil, int64(n), batch))
			return
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
	}
}

func benchBare(b *testing.B, latency bool) {
	srv := &bareServer{notify: make(chan struct{})}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	pr := &probe{got: make(chan time.Time, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { // the client loop: GET, decode, hand each event over
		cur := "0"
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"?ts="+cur, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a, err := vkevent.DecodeLongPoll(body)
			if err != nil {
				continue
			}
			for i := range a.Events {
				_ = pr.HandleEvent(ctx, &a.Events[i])
			}
			cur = a.TS
		}
	})
	defer func() { cancel(); wg.Wait() }()
	drive(b, latency, func(i int) {
		obj, _ := json.Marshal(map[string]any{"message": map[string]any{"id": i, "from_id": 7, "peer_id": 7, "text": strconv.Itoa(i)}})
		e, _ := json.Marshal(map[string]any{"type": "message_new", "group_id": 1, "event_id": strconv.Itoa(i), "v": "5.199", "object": json.RawMessage(obj)})
		srv.add(e)
	}, pr.got)
}
