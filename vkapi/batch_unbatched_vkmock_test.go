package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// The calls that never go into an execute batch, against vkmock.

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestVKMockBatchNeverBatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t, vkmock.WithRateLimits(false))
		if err := s.Procedures().Set("hello", `return "hello, " + Args.name;`); err != nil {
			t.Fatal(err)
		}
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithLimit(Limit{Per: 10 * time.Millisecond}), WithBatching(BatchOptions{Window: 30 * time.Millisecond}))
		const code = `return API.users.get({"user_ids": 1});`
		var wg sync.WaitGroup
		var failures atomic.Int32
		call := func(method string, p Params, check func(json.RawMessage) bool) {
			wg.Go(func() {
				var raw json.RawMessage
				if err := c.Call(context.Background(), method, p, &raw); err != nil || !check(raw) {
					failures.Add(1)
					t.Errorf("%s: %v %s", method, err, raw)
				}
			})
		}
		nonEmpty := func(raw json.RawMessage) bool { return len(raw) > 0 }
		// vkmock checks saves against its uploads: this one is refused with 22,
		// alone, not in a batch.
		wg.Go(func() {
			if err := c.Call(context.Background(), "photos.saveWallPhoto", Params{"photo": "x", "server": 1, "hash": "h"}, nil); !errors.Is(err, vkerr.Upload) {
				failures.Add(1)
				t.Errorf("photos.saveWallPhoto: %v, want error 22", err)
			}
		})
		call("execute", Params{"code": code}, func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"id":1`) })
		call("execute.hello", Params{"name": "Ann"}, func(raw json.RawMessage) bool { return string(raw) == `"hello, Ann"` })
		for i := range 5 {
			call("users.get", Params{"user_ids": 10 + i}, nonEmpty)
		}
		wg.Wait()
		got := map[string]int{}
		for _, r := range s.Requests().All() {
			got[r.Method]++
			if sc := r.Param("code"); r.Method == "execute" && sc != code && (strings.Contains(sc, "photos.save") || strings.Contains(sc, "API.execute")) {
				t.Errorf("an upload save or an execute went into a batch: %s", sc)
			}
		}
		// The save, the caller's execute and the procedure went alone; the five
		// users.get went together.
		if got["photos.saveWallPhoto"] != 1 || got["execute.hello"] != 1 || got["execute"] != 2 || len(got) != 3 {
			t.Errorf("requests %v", got)
		}
		var mine, batch int
		for _, r := range s.Requests().Of("execute") {
			if r.Param("code") == code {
				mine++
			} else if n := len(parseScript(t, r.Param("code"))); n == 5 {
				batch++
			}
		}
		if mine != 1 || batch != 1 {
			t.Errorf("the caller's execute %d times, the batch %d times", mine, batch)
		}
		// Batch.Do sends them alone too.
		before := len(s.Requests().All())
		b := c.Batch()
		save := b.Add("photos.saveWallPhoto", Params{"photo": "x", "server": 1, "hash": "h"}, nil)
		ex := b.Add("execute", Params{"code": code}, nil)
		u := b.Add("users.get", Params{"user_ids": 1}, nil)
		if err := b.Do(context.Background()); !errors.Is(err, vkerr.Upload) || !errors.Is(save.Err, vkerr.Upload) || ex.Err != nil || u.Err != nil {
			t.Fatal(err) // only the save fails: vkmock refuses the made-up upload with 22
		}
		var methods []string
		for _, r := range s.Requests().All()[before:] {
			methods = append(methods, r.Method)
		}
		if fmt.Sprint(sorted(methods)) != "[execute execute photos.saveWallPhoto]" {
			t.Errorf("Batch.Do sent %v", methods)
		}
	})
}
