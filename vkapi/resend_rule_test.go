package vkapi

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// Five errors 6 in a row do not use up a call's attempts, batched or not:
// resends after error 6 do not count against MaxAttempts (the server did
// nothing), on the direct path and inside execute alike.
func TestFiveErrors6DoNotUseUpAttempts(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := memMock(t)
				addFault(t, s, vkmock.Fault{ID: "six", Method: "users.get", Times: 5, Error: &vkerr.Error{Code: vkerr.TooMany}})
				opts := []Option{WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithRetry(fastRetry)}
				if batched {
					opts = append(opts, WithBatching(BatchOptions{Window: time.Millisecond}))
				}
				c := New(s.Tokens().Of(vkmock.TokenUser).Token, opts...)
				defer c.Close()
				var out json.RawMessage
				if err := c.Call(context.Background(), "users.get", Params{"user_ids": vkmock.DefaultUserID}, &out); err != nil {
					t.Fatalf("after five errors 6: %v", err)
				}
				if len(out) == 0 {
					t.Fatal("no response")
				}
				if n := countCode(s.Requests().Of(map[bool]string{false: "users.get", true: "execute"}[batched]), vkerr.TooMany); !batched && n != 5 {
					t.Errorf("%d errors 6 answered, want 5", n)
				}
			})
		})
	}
}
