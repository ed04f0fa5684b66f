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

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

// The replica test: three processes and Redis, the poller killed
// twice (SIGKILL) during 3,000 events: none lost; duplicates reported.
// Each child prints the event_ids it handled on its stdout; the parent
// reads the pipes.
func TestReplicasSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	rdb := testRedis(t)
	mock := vkmock.NewServer(t, vkmock.WithRateLimits(false))
	if err := mock.SetLongPollSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	mock.SetLongPollConfig(vkmock.LongPollConfig{MaxUpdates: 1}) // the ts is saved after every event
	prefix := fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano())
	// From ts 0: the events written before a replica polls are delivered too.
	if err := New(rdb, prefix).Save(context.Background(), vkmock.DefaultGroupID, "0"); err != nil {
		t.Fatal(err)
	}
	handled := make(chan string, 4096)
	var procs []*exec.Cmd
	var readers sync.WaitGroup
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaChild$")
		cmd.Env = append(os.Environ(), "VKERR_REPLICA_CHILD=1", "VKERR_REPLICA_MOCK="+mock.URL(),
			"VKERR_REPLICA_TOKEN="+mock.Token(vkmock.TokenGroup).Token, "VKERR_REPLICA_REDIS="+rdb.Options().Addr, "VKERR_REPLICA_PREFIX="+prefix)
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
				if id, ok := strings.CutPrefix(sc.Text(), "handled "); ok {
					handled <- id
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
	const total = 3000
	seen := map[string]int{}
	kills := 0
	leaderKey := prefix + "leaderpid"
	// Writers and the handled stream interleave: write in steps of 100, and
	// read what the replicas handled before the next step.
	written := 0
	for written < total || len(seen) < total {
		if written < total {
			for range 100 {
				if _, err := mock.Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: strconv.Itoa(written)}); err != nil {
					t.Fatal(err)
				}
				written++
			}
		}
		if (written == 1000 || written == 2000) && kills < written/1000 {
			pid, err := rdb.Get(context.Background(), leaderKey).Int()
			if err == nil {
				if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
					kills++
				}
			}
		}
		// Drain what arrives until the replicas catch up with the writes
		// of this step (a bound ends a stuck run).
		timeout := time.After(20 * time.Second)
		for len(seen) < written-50 || (written == total && len(seen) < total) {
			select {
			case id := <-handled:
				seen[id]++
			case <-timeout:
				t.Fatalf("stuck: %d handled of %d written", len(seen), written)
			}
		}
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	var lost int
	for _, e := range mock.Events() {
		if seen[e.EventID] == 0 {
			lost++
		}
	}
	if kills != 2 || lost != 0 {
		t.Fatalf("kills %d, lost %d", kills, lost)
	}
	t.Logf("%d events, 2 SIGKILLs of the poller: 0 lost, %d handled twice (handled by the killed poller before it could save the ts)", total, dups)
}

// TestReplicaChild is a replica process of TestReplicasSurviveSIGKILL.
func TestReplicaChild(t *testing.T) {
	if os.Getenv("VKERR_REPLICA_CHILD") != "1" {
		t.Skip("a child process of TestReplicasSurviveSIGKILL")
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("VKERR_REPLICA_REDIS")})
	defer rdb.Close()
	prefix := os.Getenv("VKERR_REPLICA_PREFIX")
	s := New(rdb, prefix)
	api := vkapi.New(os.Getenv("VKERR_REPLICA_TOKEN"), vkapi.WithBaseURL(os.Getenv("VKERR_REPLICA_MOCK")), vkapi.WithTokenKind(vkapi.KindGroup))
	var mu sync.Mutex
	h := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(os.Stdout, "handled %s\n", e.EventID)
		return err
	})
	err := s.RunElected(context.Background(), vkmock.DefaultGroupID, 500*time.Millisecond, func(ctx context.Context, store longpoll.Store, _ Lease) error {
		if err := rdb.Set(ctx, prefix+"leaderpid", os.Getpid(), 0).Err(); err != nil {
			return err
		}
		return longpoll.New(api, longpoll.Config{GroupID: vkmock.DefaultGroupID, Handler: h, Store: store, Wait: time.Second}).Run(ctx)
	})
	t.Fatal(err)
}
