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

// A Save that adds events to the position sends only their keys: the
// position key keeps the ts, the list grows by one key a Save; a new ts
// replaces both; a list left from another ts is ignored; a position with
// its events inline (the format before the list) still loads.
func TestStoreAppendsNewKeys(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	s := New(rdb, fmt.Sprintf("vkerr:test:%d:", time.Now().UnixNano()))
	if err := s.Save(ctx, 1, longpoll.Position{TS: "42"}); err != nil {
		t.Fatal(err)
	}
	posBytes := rdb.StrLen(ctx, s.key(1)).Val()
	var handled []string
	for i := range 50 {
		handled = append(handled, fmt.Sprintf("event-%02d", i))
		if err := s.Save(ctx, 1, longpoll.Position{TS: "42", Handled: handled}); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.StrLen(ctx, s.key(1)).Val(); n != posBytes {
		t.Fatalf("the position key grew from %d to %d bytes", posBytes, n)
	}
	if l := rdb.LRange(ctx, s.listKey(1), 0, -1).Val(); len(l) != 51 || l[0] != "42" || l[50] != "event-49" {
		t.Fatalf("list %q", l)
	}
	if pos, err := s.Load(ctx, 1); err != nil || pos.TS != "42" || !slices.Equal(pos.Handled, handled) {
		t.Fatalf("%+v %v", pos, err)
	}
	// After Load the next Save replaces the position once, then appends.
	handled = append(slices.Clip(handled), "event-50")
	if err := s.Save(ctx, 1, longpoll.Position{TS: "42", Handled: handled}); err != nil {
		t.Fatal(err)
	}
	if pos, _ := s.Load(ctx, 1); !slices.Equal(pos.Handled, handled) {
		t.Fatalf("after a reload: %+v", pos)
	}
	if err := s.Save(ctx, 1, longpoll.Position{TS: "43"}); err != nil {
		t.Fatal(err)
	}
	if pos, _ := s.Load(ctx, 1); pos.TS != "43" || len(pos.Handled) != 0 {
		t.Fatalf("the handled events of the old ts stayed: %+v", pos)
	}
	// Another writer replaced the position behind the store's back: the
	// list is not the ts's, so the store replaces rather than appends.
	handled = []string{"a"}
	if err := s.Save(ctx, 1, longpoll.Position{TS: "43", Handled: handled}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, s.listKey(1)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, 1, longpoll.Position{TS: "43", Handled: append(handled, "b")}); err != nil {
		t.Fatal(err)
	}
	if pos, _ := s.Load(ctx, 1); !slices.Equal(pos.Handled, []string{"a", "b"}) {
		t.Fatalf("after the list vanished: %+v", pos)
	}
	// A stale list (another ts at its head) and an inline position.
	if err := rdb.Set(ctx, s.key(2), `{"ts":"9","handled":["x","y"]}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.RPush(ctx, s.listKey(2), "8", "old").Err(); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.Load(ctx, 2); err != nil || pos.TS != "9" || !slices.Equal(pos.Handled, []string{"x", "y"}) {
		t.Fatalf("inline position with a stale list: %+v %v", pos, err)
	}
}
