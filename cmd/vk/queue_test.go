package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// testQueue gives a test a Redis (its address and a client) and a queue
// name of its own, whose keys, and those matching the patterns more, are
// deleted when the test ends.
func testQueue(t *testing.T, more ...string) (addr string, rdb *redis.Client, name string) {
	t.Helper()
	addr = redistest.Addr(t)
	rdb = redistest.Client(t, addr)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = "clitest-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		for _, pattern := range append([]string{"{vkq:" + name + "}*"}, more...) {
			keys = append(keys, rdb.Keys(ctx, pattern).Val()...)
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return addr, rdb, name
}

// TestListenQueue: vk listen --queue appends a community's events to the
// queue (the Long Poll position kept in the same Redis), vk listen
// --from-queue prints them in order per peer, and vk queue stats shows
// nothing left.
func TestListenQueue(t *testing.T) {
	t.Parallel()
	addr, rdb, name := testQueue(t)
	url := "redis://" + addr + "/0"
	mock := vkmocktest.NewServer(t)
	if err := mock.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	for i := range n {
		if _, err := mock.World().Inbox(vkmock.InboxMessage{FromID: int64(7 + i%2), GroupID: vkmock.DefaultGroupID, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Start from ts 0, so that the events above are delivered.
	store := redisstore.New(rdb, lpStorePrefix)
	if err := store.Save(context.Background(), vkmock.DefaultGroupID, longpoll.Position{TS: "0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), lpStorePrefix+strconv.FormatInt(vkmock.DefaultGroupID, 10)) })
	tok := mock.Tokens().Of(vkmock.TokenGroup).Token
	code, out, errOut := vk(t, "", "listen", "--base-url", mock.URL(), "--token", tok, "--queue", url, "--queue-name", name, "--max-events", strconv.Itoa(n))
	if code != 0 || out != "" || !strings.Contains(errOut, "elected") {
		t.Fatalf("listen --queue: %d %q %q", code, out, errOut)
	}
	code, out, errOut = vk(t, "", "listen", "--from-queue", url, "--queue-name", name, "--max-events", strconv.Itoa(n), "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != n {
		t.Fatalf("listen --from-queue: %d %q %q", code, out, errOut)
	}
	last := map[float64]int{7: -1, 8: -1}
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil || e["type"] != "message_new" {
			t.Fatalf("%s", l)
		}
		seq, _ := strconv.Atoi(e["text"].(string))
		peer := e["from_id"].(float64)
		if seq <= last[peer] {
			t.Fatalf("peer %v: %d after %d", peer, seq, last[peer])
		}
		last[peer] = seq
	}
	code, out, errOut = vk(t, "", "queue", "stats", "--queue", url, "--name", name)
	if code != 0 || !strings.Contains(out, "backlog 0, pending 0") || !strings.Contains(out, "dead letters  0") {
		t.Fatalf("queue stats: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := vk(t, "", "queue", "stats"); code != 2 || !strings.Contains(errOut, "--queue is required") {
		t.Fatalf("queue stats without --queue: %d %q", code, errOut)
	}
}

// TestQueueDeadAndRedrive: vk queue dead lists a dead letter with its last
// error (redacted) and vk queue redrive appends it to its partition again.
func TestQueueDeadAndRedrive(t *testing.T) {
	t.Parallel()
	addr, rdb, name := testQueue(t)
	ctx := context.Background()
	ev := `{"type":"message_new","event_id":"e1","group_id":1,"v":"5.199","object":{"message":{"id":1,"peer_id":7,"from_id":7,"text":"hi"}}}`
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "{vkq:" + name + "}:dead", Values: map[string]any{
		"event": ev, "key": "peer:7", "partition": 3, "entry": "1-0", "group": "vk", "deliveries": 5,
		"error": "payment service down",
	}}).Err(); err != nil {
		t.Fatal(err)
	}
	url := "redis://" + addr + "/0"
	code, out, errOut := vk(t, "", "queue", "dead", "--queue", url, "--name", name)
	if code != 0 || !strings.Contains(out, "5 deliveries, last error: payment service down") || !strings.Contains(out, "message_new") || !strings.Contains(errOut, "1 dead letters") {
		t.Fatalf("queue dead: %d %q %q", code, out, errOut)
	}
	code, out, _ = vk(t, "", "queue", "redrive", "--queue", url, "--name", name)
	if code != 0 || !strings.Contains(out, "1 dead letters appended to the queue again") {
		t.Fatalf("queue redrive: %d %q", code, out)
	}
	if n := rdb.XLen(ctx, "{vkq:"+name+"}:p:3").Val(); n != 1 {
		t.Fatalf("partition 3 holds %d entries after the redrive, want 1", n)
	}
	if n := rdb.XLen(ctx, "{vkq:"+name+"}:dead").Val(); n != 0 {
		t.Fatalf("%d dead letters left after the redrive", n)
	}
}
