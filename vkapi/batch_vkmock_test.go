package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// Tests of execute batching (Batch, WithBatching) against vkmock's execute,
// which runs the generated VKScript and checks every inner call like a
// direct one.

// executes returns the execute requests of the mock's log with the calls
// their scripts made, in order.
func executes(t *testing.T, s *vkmock.Server) [][]innerCall {
	t.Helper()
	var out [][]innerCall
	for _, r := range s.Requests().Of("execute") {
		out = append(out, parseScript(t, r.Param("code")))
	}
	return out
}

// batchCase is a call of the mixed batch and what the mock answers it: a
// response (code 0) or an inner error.
type batchCase struct {
	method string
	params Params
	code   vkerr.Code
}

// mixedCases are 25 calls for the preloaded user token, eight of which fail
// inside execute with the world's errors.
func mixedCases() []batchCase {
	cs := []batchCase{
		{"users.get", Params{"user_ids": vkmock.DefaultUserID}, 0},
		{"users.get", Params{"user_ids": vkmock.WorldFriendID, "fields": "screen_name"}, 0},
		{"users.get", Params{"user_ids": "nosuchname_zz"}, vkerr.ParamUserID},
		{"users.get", Params{"user_ids": vkmock.WorldDeletedUserID}, 0},
		{"wall.get", Params{"owner_id": -vkmock.WorldPrivateGroupID, "count": 1}, vkerr.AccessGroup},
		{"wall.get", Params{"owner_id": vkmock.WorldDeletedUserID, "count": 1}, vkerr.UserDeleted},
		{"wall.get", Params{"owner_id": vkmock.WorldPrivateUserID, "count": 1}, vkerr.PrivateProfile},
		{"wall.get", Params{"owner_id": -vkmock.WorldClosedGroupID, "count": 2}, 0},
		{"groups.getById", Params{"group_ids": []int64{vkmock.DefaultGroupID, vkmock.WorldClosedGroupID}}, 0},
		{"utils.resolveScreenName", Params{"screen_name": "mock_friend"}, 0},
		{"utils.resolveScreenName", Params{"screen_name": "mock_community"}, 0},
		{"messages.send", Params{"peer_id": vkmock.WorldPrivateUserID, "message": "x"}, vkerr.MessagesPrivacy},
		{"messages.send", Params{"peer_id": vkmock.WorldDeletedUserID, "message": "x"}, vkerr.UserDeleted},
		{"messages.send", Params{"peer_id": vkmock.WorldFriendID, "message": "a \"quoted\"\nline\\ \u2028 ünïcode 😀"}, 0},
		{"messages.send", Params{"peer_id": vkmock.WorldFriendID}, vkerr.Param},
		{"wall.post", Params{"message": "batched post"}, 0},
		{"account.getAppPermissions", nil, 0},
		{"photos.getAlbums", Params{"owner_id": vkmock.WorldPrivateUserID}, vkerr.PrivateProfile},
	}
	for i := len(cs); i < 25; i++ {
		cs = append(cs, batchCase{"users.get", Params{"user_ids": 1_000_000 + i}, 0})
	}
	return cs
}

// checkMixed checks the result of call i of mixedCases: the right response
// or the right inner error, typed, with its method.
func checkMixed(t *testing.T, i int, bc batchCase, err error, raw json.RawMessage) {
	t.Helper()
	if bc.code == 0 {
		if err != nil || len(raw) == 0 || string(raw) == "false" {
			t.Errorf("call %d %s %v: %v, %s", i, bc.method, bc.params, err, raw)
		}
		return
	}
	var ce *CallError
	var ve *vkerr.Error
	if !errors.As(err, &ce) || ce.Method != bc.method || !errors.As(err, &ve) || ve.Code != bc.code || ve.Method != bc.method {
		t.Errorf("call %d %s %v: %v, want error %d", i, bc.method, bc.params, err, bc.code)
	}
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestVKMockBatchMixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		tok := s.Tokens().Of(vkmock.TokenUser).Token
		c := New(tok, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser))
		cases := mixedCases()
		b := c.Batch()
		outs := make([]json.RawMessage, len(cases))
		calls := make([]*BatchCall, len(cases))
		for i, bc := range cases {
			calls[i] = b.Add(bc.method, bc.params, &outs[i])
		}
		err := b.Do(context.Background())
		failed := 0
		for i, bc := range cases {
			checkMixed(t, i, bc, calls[i].Err, outs[i])
			if bc.code != 0 {
				failed++
				if !errors.Is(err, bc.code) {
					t.Errorf("Do's error does not carry %d", bc.code)
				}
			}
		}
		if failed != 8 {
			t.Fatalf("%d failing cases", failed)
		}
		// One request: an execute of the 25 calls, in order.
		recs := s.Requests().All()
		ex := executes(t, s)
		if len(recs) != 1 || len(ex) != 1 || len(ex[0]) != 25 {
			t.Fatalf("%d requests, %d executes", len(recs), len(ex))
		}
		for i, ic := range ex[0] {
			if ic.Method != cases[i].method {
				t.Errorf("inner call %d is %s, want %s", i, ic.Method, cases[i].method)
			}
		}
		// The writes acted once; the odd text came through the script intact.
		ms := s.World().Messages()
		if len(ms) != 1 || ms[0].Message != cases[13].params["message"] || fmt.Sprint(ms[0].ID) != string(outs[13]) {
			t.Errorf("messages %+v, answer %s", ms, outs[13])
		}
		if postsWith(s, "batched post") != 1 {
			t.Error("no post")
		}
		// The readers got what the same calls get alone.
		s.SetRateLimits(false)
		direct := New(tok, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithLimit(Limit{Off: true}))
		for i, bc := range cases {
			if bc.code != 0 || !LookupMethod(bc.method).Read {
				continue
			}
			var raw json.RawMessage
			if err := direct.Call(context.Background(), bc.method, bc.params, &raw); err != nil || !sameJSON(raw, outs[i]) {
				t.Errorf("call %d %s: batched %s, alone %s (%v)", i, bc.method, outs[i], raw, err)
			}
		}
	})
}

func TestVKMockWithBatchingMixed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
		cases := mixedCases()
		outs := make([]json.RawMessage, len(cases))
		errs := make([]error, len(cases))
		var wg sync.WaitGroup
		for i, bc := range cases {
			wg.Go(func() { errs[i] = c.Call(context.Background(), bc.method, bc.params, &outs[i]) })
		}
		wg.Wait()
		for i, bc := range cases {
			checkMixed(t, i, bc, errs[i], outs[i])
		}
		// Coalesced: only execute requests, carrying the 25 calls between them.
		recs := s.Requests().All()
		n := 0
		for _, calls := range executes(t, s) {
			n += len(calls)
		}
		if len(recs) > 3 || n != 25 || len(s.Requests().Of("execute")) != len(recs) {
			t.Errorf("%d requests carrying %d calls", len(recs), n)
		}
		if len(s.World().Messages()) != 1 || postsWith(s, "batched post") != 1 {
			t.Errorf("%d messages", len(s.World().Messages()))
		}
	})
}
