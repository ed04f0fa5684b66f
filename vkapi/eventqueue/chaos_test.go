package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
)

// The chaos proof: one elected Bots Long Poll producer, three
// consumer processes and Redis; message_new from 50 peers through the
// mock's inbox, with Long Poll failures of every kind; two consumers and
// the producer killed with SIGKILL mid-run, the producer replaced. Every
// event the mock did not lose (a failed 3 loses events for every Long
// Poll client, by VK's design) is handled at least once, the first
// handlings of each peer's messages come in order, a repeat is only of an
// event a killed consumer had in flight (at most one per partition it
// held), and nothing is left pending. 1,000 events by default, 10,000 with
// VKERR_SOAK=1.
func TestChaosLongPollProcesses(t *testing.T) {
	t.Parallel()
	total := 1000
	if soak.Enabled() {
		total = 10_000
	}
	rdb, name := newRedis(t)
	addr := rdb.Options().Addr
	mock := newMock(t)
	mock.longPollFaults()
	ctx := t.Context()
	opts := Options{Name: name, Partitions: 16}
	lpPrefix := "{vkq:" + name + "}:lp:"
	// From ts 0: events written before the first producer polls count.
	if err := redisstore.New(rdb, lpPrefix).Save(ctx, mock.groupID, longpoll.Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}
	recKey := "{vkq:" + name + "}:test:handled"
	base := childConfig{Redis: addr, Queue: opts, Record: recKey, LeaseTTL: time.Second, Delay: 5 * time.Millisecond,
		MockURL: mock.url, Token: mock.token, GroupID: mock.groupID, LPPrefix: lpPrefix,
		Leader: "{vkq:" + name + "}:test:leader", Dups: "{vkq:" + name + "}:test:dups", Appended: "{vkq:" + name + "}:test:appended"}
	startProducer := func(id string) *child {
		cfg := base
		cfg.Role, cfg.ID = "producer", id
		return startChild(t, cfg)
	}
	var consumers []*child
	for i := range 3 {
		cfg := base
		cfg.Role, cfg.ID = "consumer", fmt.Sprint("c", i)
		consumers = append(consumers, startChild(t, cfg))
	}
	producer := startProducer("p0")
	recs := newRecords(rdb, recKey)

	// Kills: consumer c0 at 30% written, the producer at 50%, c1 at 70%.
	type kill struct {
		at     int
		victim string
		held   int // partitions the consumer held when killed
	}
	kills := []*kill{{at: total * 3 / 10, victim: "c0"}, {at: total / 2, victim: "producer"}, {at: total * 7 / 10, victim: "c1"}}
	// handledOrLost reports whether n events were handled or lost by a
	// failed 3 (those never come).
	handledOrLost := func(n int) bool {
		if len(recs.seen) >= n {
			return true
		}
		_, lost := mock.emitted()
		return len(recs.seen)+len(lost) >= n
	}
	const step = 100
	written := 0
	for written < total {
		for range min(step, total-written) {
			peer := int64(1 + written%50)
			if err := mock.inbox(peer, strconv.Itoa(written/50)); err != nil {
				t.Fatal(err)
			}
			written++
		}
		for _, k := range kills {
			if k.at != written {
				continue
			}
			if k.victim == "producer" {
				// Strike in the middle of the step's answer.
				waitUntil(t, 30*time.Second, "the producer to be in the middle of an answer", func(ctx context.Context) (bool, error) {
					n, err := rdb.Get(ctx, base.Appended).Int()
					if errors.Is(err, redis.Nil) {
						err = nil
					}
					_, lost := mock.emitted() // events a failed 3 lost never come
					return n+len(lost) >= written-step/2, err
				}, func() string { return "" })
				producer.kill(t)
				producer = startProducer("p1")
				continue
			}
			// Strike while the step's events are being handled.
			recs.waitFor(t, 30*time.Second, "the step to be half handled", func() bool { return handledOrLost(written - step/2) })
			for _, c := range consumers {
				if c.cfg.ID == k.victim {
					k.held = heldBy(ctx, t, rdb, opts, DefaultGroup, c.cfg.ID)
					c.kill(t)
				}
			}
		}
		recs.waitFor(t, 30*time.Second, "the step to be handled", func() bool { return handledOrLost(written - step) })
	}
	// Everything the mock did not lose gets handled.
	var ids []string
	var lost map[string]bool
	recs.waitFor(t, 60*time.Second, "every event to be handled", func() bool {
		ids, lost = mock.emitted()
		for _, id := range ids {
			if !lost[id] && recs.seen[id] == 0 {
				return false
			}
		}
		return true
	})
	st := waitDrained(t, rdb, opts, 30*time.Second)
	if err := recs.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ids) != total {
		t.Fatalf("the mock emitted %d events, want %d", len(ids), total)
	}
	repeats := recs.checkFirstInOrder(t)

	// A repeat is of an event a killed consumer handled (in flight at
	// its death), at most one per partition it held.
	perKilled := map[string]int{}
	firstBy := map[string]string{}
	for _, h := range recs.all {
		if by, ok := firstBy[h.eventID]; ok {
			perKilled[by]++
			continue
		}
		firstBy[h.eventID] = h.consumer
	}
	bound := map[string]int{}
	for _, k := range kills {
		if k.victim != "producer" {
			// At most its share of the partitions (6 of 16 among three).
			bound[k.victim] = max(k.held, share(16, 3))
		}
	}
	for by, n := range perKilled {
		if n > bound[by] {
			t.Errorf("%d events first handled by %s were handled again; bound %d (killed consumers: %v)", n, by, bound[by], bound)
		}
	}
	dups, _ := rdb.Get(ctx, base.Dups).Int()
	t.Logf("%d events from 50 peers, %d lost by the mock's failed 3; kills: c0 holding %d partitions, the producer, c1 holding %d; %d repeats %v; the replacement producer appended %d events again, recognised as duplicates; dead %d; Long Poll faults fired %v",
		total, len(lost), kills[0].held, kills[2].held, repeats, perKilled, dups, st.Dead, mock.faultsFired())
}
