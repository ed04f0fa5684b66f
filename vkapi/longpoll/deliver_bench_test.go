package longpoll

import (
	"context"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkevent"
)

// BenchmarkDeliver is the poller's per-event bookkeeping alone: answers of
// 100 events with distinct event_ids delivered to a handler that does
// nothing, de-duplication on, the position saved in a MemoryStore after
// each event and at each new ts, as the loop does. Reported per event.
func BenchmarkDeliver(b *testing.B) {
	p := New(nil, Config{Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return nil })})
	ctx := context.Background()
	d := newDispatcher(ctx, ctx, p)
	defer d.stop()
	const perAnswer, answers = 100, 200
	batches := make([][]vkevent.Event, answers)
	for i := range batches {
		batches[i] = make([]vkevent.Event, perAnswer)
		for j := range batches[i] {
			batches[i][j] = vkevent.Event{Type: "message_new", EventID: strconv.Itoa(i*perAnswer + j), GroupID: 1}
		}
	}
	p.moveTo("1")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if !d.deliver(ctx, batches[n%answers]) {
			b.Fatal("not delivered")
		}
		n++
		p.moveTo(strconv.Itoa(n + 1))
		p.save(ctx)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*perAnswer), "ns/event")
}
