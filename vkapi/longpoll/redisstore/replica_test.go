package redisstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// The replica test: three processes and Redis, the poller killed
// twice (SIGKILL) during 900 events (3,000 with VKERR_SOAK=1): none lost; duplicates reported.
// Each child prints on its stdout "handled <child> <event_id>" in the
// handler and "recorded <child> <event_id>" once the position naming the
// event was saved; the parent reads the pipes. Answers hold up to 100
// events, so a kill lands in the middle of one.
//
// An event handled again after its position was recorded fails the test.
// What stays possible, and is reported, is an event whose handler ran in
// the killed poller but whose record had not reached Redis when the kill
// came (the handler's effect and the store write cannot be one atomic
// step): at most one per kill with one worker.
func TestReplicasSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	rdb := testRedis(t)
	mock := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano())
	// From ts 0: the events written before a replica polls are delivered too.
	if err := New(rdb, prefix).Save(context.Background(), vkmock.DefaultGroupID, longpoll.Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}
	type line struct {
		recorded bool
		child    int
		id       string
	}
	lines := make(chan line, 8192)
	var procs []*exec.Cmd
	var readers sync.WaitGroup
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaChild$")
		cmd.Env = testrun.ChildEnv("VKERR_REPLICA_CHILD="+strconv.Itoa(i), "VKERR_REPLICA_MOCK="+mock.URL(),
			"VKERR_REPLICA_TOKEN="+mock.Tokens().Of(vkmock.TokenGroup).Token, "VKERR_REPLICA_REDIS="+rdb.Options().Addr, "VKERR_REPLICA_PREFIX="+prefix)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		readers.Go(func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 3 && (f[0] == "handled" || f[0] == "recorded") && f[1] == strconv.Itoa(i) {
					lines <- line{f[0] == "recorded", i, f[2]}
				}
			}
		})
	}
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	total := soak.Pick(900, 3000) // events; a SIGKILL after each third
	third := total / 3
	seen := map[string]int{}                // event_id: times handled
	handledBy := map[string]map[int]int{}   // event_id: child: times handled
	recordedBy := map[string]map[int]bool{} // event_id: children that recorded it
	rank := map[int]int{}                   // child: its place among the pollers (killed first = 0)
	kills := 0
	leaderKey := prefix + "leaderpid"
	// Writers and the handled stream interleave: write in steps of 100, and
	// read what the replicas handled before the next step.
	written := 0
	for written < total || len(seen) < total {
		if written < total {
			for range 100 {
				if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: strconv.Itoa(written)}); err != nil {
					t.Fatal(err)
				}
				written++
			}
		}
		// Drain what arrives until cond holds (a bound ends a stuck run).
		drain := func(cond func() bool) {
			timeout := time.After(20 * time.Second)
			for !cond() {
				select {
				case l := <-lines:
					if l.recorded {
						if recordedBy[l.id] == nil {
							recordedBy[l.id] = map[int]bool{}
						}
						recordedBy[l.id][l.child] = true
						continue
					}
					seen[l.id]++
					if handledBy[l.id] == nil {
						handledBy[l.id] = map[int]int{}
					}
					handledBy[l.id][l.child]++
				case <-timeout:
					t.Fatalf("stuck: %d handled of %d written", len(seen), written)
				}
			}
		}
		if (written == third || written == 2*third) && kills < written/third {
			// Kill the poller in the middle of this step's answer.
			drain(func() bool { return len(seen) >= written-70 })
			pid, err := rdb.Get(context.Background(), leaderKey).Int()
			if err == nil {
				for i, p := range procs {
					if p.Process.Pid == pid {
						if _, ok := rank[i]; !ok && syscall.Kill(pid, syscall.SIGKILL) == nil {
							rank[i] = kills
							kills++
						}
					}
				}
			}
		}
		// Then until the replicas catch up with the writes of this step.
		drain(func() bool { return len(seen) >= written-50 && (written < total || len(seen) >= total) })
	}
	// The survivor polled last.
	for i := range procs {
		if _, ok := rank[i]; !ok {
			rank[i] = 2
		}
	}
	dups, afterRecord := 0, 0
	for id, n := range seen {
		dups += n - 1
		first := 3 // the rank of the first poller that recorded id
		for child := range recordedBy[id] {
			first = min(first, rank[child])
		}
		for child, k := range handledBy[id] {
			if k > 1 || rank[child] > first {
				afterRecord++
				t.Errorf("event %s handled %d times by child %d after child(ren) %v recorded it", id, k, child, recordedBy[id])
			}
		}
	}
	var lost int
	for _, e := range mock.LongPoll().Events() {
		if seen[e.EventID] == 0 {
			lost++
		}
	}
	if kills != 2 || lost != 0 {
		t.Fatalf("kills %d, lost %d", kills, lost)
	}
	t.Logf("%d events, 2 SIGKILLs of the poller: 0 lost, %d handled twice, of which %d after their handling was recorded (the others: handled by the killed poller before its record reached Redis)", total, dups, afterRecord)
}

// TestReplicaChild is a replica process of TestReplicasSurviveSIGKILL.
func TestReplicaChild(t *testing.T) {
	child := os.Getenv("VKERR_REPLICA_CHILD")
	if child == "" {
		t.Skip("a child process of TestReplicasSurviveSIGKILL")
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("VKERR_REPLICA_REDIS")})
	defer rdb.Close()
	prefix := os.Getenv("VKERR_REPLICA_PREFIX")
	s := New(rdb, prefix)
	api := vkapi.New(os.Getenv("VKERR_REPLICA_TOKEN"), vkapi.WithBaseURL(os.Getenv("VKERR_REPLICA_MOCK")), vkapi.WithTokenKind(vkapi.KindGroup))
	var mu sync.Mutex
	say := func(what, id string) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(os.Stdout, "%s %s %s\n", what, child, id)
		return err
	}
	h := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
		// A bot's handler does some work: 200 µs here keeps the poller in
		// the middle of an answer when the parent kills it.
		time.Sleep(200 * time.Microsecond)
		return say("handled", e.EventID)
	})
	err := s.RunElected(context.Background(), vkmock.DefaultGroupID, 500*time.Millisecond, func(ctx context.Context, store longpoll.Store, _ Lease) error {
		if err := rdb.Set(ctx, prefix+"leaderpid", os.Getpid(), 0).Err(); err != nil {
			return err
		}
		rs := &recordingStore{Store: store, say: say}
		return longpoll.New(api, longpoll.Config{GroupID: vkmock.DefaultGroupID, Handler: h, Store: rs, Wait: time.Second}).Run(ctx)
	})
	t.Fatal(err)
}

// recordingStore says "recorded" for each event a Save added to the
// position, once the save succeeded. The events of the loaded position
// were recorded by an earlier holder: they are not said again (a holder
// that loses its lease under load and later regains it would otherwise
// "record" events handled by the replicas in between).
type recordingStore struct {
	longpoll.Store
	say func(what, id string) error
	ts  string
	n   int // events of ts already said or loaded
}

func (r *recordingStore) Load(ctx context.Context, groupID int64) (longpoll.Position, error) {
	pos, err := r.Store.Load(ctx, groupID)
	r.ts, r.n = pos.TS, len(pos.Handled)
	return pos, err
}

func (r *recordingStore) Save(ctx context.Context, groupID int64, pos longpoll.Position) error {
	if err := r.Store.Save(ctx, groupID, pos); err != nil {
		return err
	}
	if pos.TS != r.ts {
		r.ts, r.n = pos.TS, 0
	}
	for _, id := range pos.Handled[min(r.n, len(pos.Handled)):] {
		if err := r.say("recorded", id); err != nil {
			return err
		}
	}
	r.n = len(pos.Handled)
	return nil
}
