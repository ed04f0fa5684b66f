package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/vkapi/longpoll"
)

// testRedis returns a client of a Redis for the test (see redistest).
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	return redistest.Client(t, redistest.Addr(t))
}

func TestStore(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	if pos, err := s.Load(ctx, 1); pos.TS != "" || pos.Handled != nil || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	want := longpoll.Position{TS: "42", Handled: []string{"a1", "#2"}}
	if err := s.Save(ctx, 1, want); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, 2, longpoll.Position{TS: "7"}); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.Load(ctx, 1); pos.TS != "42" || !slices.Equal(pos.Handled, want.Handled) || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	if pos, _ := s.Load(ctx, 2); pos.TS != "7" || len(pos.Handled) != 0 {
		t.Fatalf("communities share a key: %+v", pos)
	}
	if err := s.Save(ctx, 1, longpoll.Position{TS: "43"}); err != nil {
		t.Fatal(err)
	}
	if pos, _ := s.Load(ctx, 1); pos.TS != "43" || len(pos.Handled) != 0 {
		t.Fatalf("the handled events of the old ts stayed: %+v", pos)
	}
	// A key of the per-answer format (a bare ts), under the key before hash
	// tags, still loads.
	if err := rdb.Set(ctx, s.legacyKey(4), "17", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.Load(ctx, 4); pos.TS != "17" || err != nil {
		t.Fatalf("%+v %v", pos, err)
	}
	if err := rdb.Set(ctx, s.key(3), "junk", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, 3); !errors.Is(err, longpoll.ErrBadPosition) || !strings.Contains(err.Error(), "DEL "+s.key(3)) {
		t.Fatalf("junk: %v", err)
	}
	// A Redis that does not answer fails within the timeout.
	dead := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), "")
	dead.Timeout = 100 * time.Millisecond
	if err := dead.Save(ctx, 1, longpoll.Position{TS: "1"}); err == nil {
		t.Fatal("saved to nowhere")
	}
}
