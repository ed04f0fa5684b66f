package userlp

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
	"go.uber.org/goleak"
)

// checkQuery is the query and query of an a_check of user 5.
func checkQuery(key string, ts int64, extra url.Values) url.Values {
	q := url.Values{"act": {"a_check"}, "key": {key}, "ts": {strconv.FormatInt(ts, 10)}}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

// A request holds until an update, the wait on the mock's clock, the
// clock moving or its context; no goroutine outlives it.
func TestCheckWaits(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRoom(defaultLimits)
		key, ts, _ := r.Key(5)
		got := make(chan []byte, 1)
		start := time.Now()
		go func() { got <- r.Check(context.Background(), "/im/u5", checkQuery(key, ts, nil), 0) }()
		synctest.Wait()
		time.Sleep(3 * time.Second)
		if err := r.Update(5, []any{80, 1}, nil, false); err != nil {
			t.Fatal(err)
		}
		if b := string(<-got); b != `{"ts":1,"updates":[[80,1]]}` || time.Since(start) != 3*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		start = time.Now()
		go func() {
			got <- r.Check(context.Background(), "/im/u5", checkQuery(key, 1, url.Values{"wait": {"1000"}}), 0)
		}()
		if b := string(<-got); b != `{"ts":1,"updates":[]}` || time.Since(start) != core.MaxWait*time.Second {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		start = time.Now()
		go func() { got <- r.Check(context.Background(), "/im/u5", checkQuery(key, 1, nil), 0) }()
		synctest.Wait()
		r.d.Clock.Advance(time.Minute)
		if b := string(<-got); b != `{"ts":1,"updates":[]}` || time.Since(start) != 0 {
			t.Fatalf("%s after %v", b, time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { got <- r.Check(ctx, "/im/u5", checkQuery(key, 1, nil), 0) }()
		synctest.Wait()
		cancel()
		if b := <-got; b != nil {
			t.Fatalf("a canceled request answered %s", b)
		}
	})
}

// The shapes of a world's new message and friend-online update by mode
// and version: each mode bit adds its field and only it.
func TestShapes(t *testing.T) {
	world := func(arr []any) update { // as Update keeps a world's update
		b, _ := json.Marshal(arr)
		up := update{arr: b}
		up.shapes(arr)
		return up
	}
	msg := world([]any{4, 41, 1, 7, 100, "x", map[string]any{}, map[string]any{"attach1_type": "photo"}, 9})
	onl := world([]any{8, -7, 7, 100})
	for _, c := range []struct {
		version, mode int
		msg, onl      string
	}{
		{3, 0, `[4,41,1,7,100,"x",{}]`, `[8,-7,0,100]`},
		{3, ModeAttachments, `[4,41,1,7,100,"x",{},{"attach1_type":"photo"}]`, `[8,-7,0,100]`},
		{3, ModeRandomID, `[4,41,1,7,100,"x",{},9]`, `[8,-7,0,100]`},
		{3, ModeOnlineExtra | ModeExtended | ModePTS, `[4,41,1,7,100,"x",{}]`, `[8,-7,7,100]`},
		{3, AllModes, `[4,41,1,7,100,"x",{},{"attach1_type":"photo"},9]`, `[8,-7,7,100]`},
		{19, 0, `[10004,41,1,0,7,100,"x",{},{"attach1_type":"photo"},9,41,0]`, `[8,-7,0,100]`},
	} {
		if m, o := string(msg.shape(c.version, c.mode)), string(onl.shape(c.version, c.mode)); m != c.msg || o != c.onl {
			t.Errorf("version %d mode %d: %s %s", c.version, c.mode, m, o)
		}
	}
}
