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
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// The retry rules inside a batch against vkmock: inner errors retried
// call by call, errors of the whole execute request, and a lost answer
// with an unsafe call inside.

func TestVKMockBatchRetriesInnerErrors(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprintf("auto=%v", auto), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := memMock(t)
				tok := s.Tokens().Of(vkmock.TokenUser).Token
				// Error faults apply to the calls inside execute.
				addFault(t, s, vkmock.Fault{ID: "users-10", Method: "users.get", Params: map[string]string{"user_ids": fmt.Sprint(vkmock.WorldFriendID)},
					Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
				addFault(t, s, vkmock.Fault{ID: "send-1", Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.Unknown}})
				addFault(t, s, vkmock.Fault{ID: "edit-10", Method: "wall.edit", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
				addFault(t, s, vkmock.Fault{ID: "groups-10", Method: "groups.getById", Error: &vkerr.Error{Code: vkerr.Server}})
				opts := []Option{WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithRetry(fastRetry)}
				if auto {
					opts = append(opts, WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
				}
				c := New(tok, opts...)
				type call struct {
					method string
					params Params
					out    json.RawMessage
					err    error
				}
				calls := []*call{
					{method: "users.get", params: Params{"user_ids": vkmock.DefaultUserID}},
					{method: "users.get", params: Params{"user_ids": vkmock.WorldFriendID}},
					{method: "messages.send", params: Params{"peer_id": 4242, "message": "retried"}},
					{method: "wall.edit", params: Params{"post_id": 1, "message": "x"}},
					{method: "groups.getById", params: Params{"group_ids": 1}},
					{method: "utils.getServerTime"},
				}
				if auto {
					var wg sync.WaitGroup
					for _, cl := range calls {
						wg.Go(func() { cl.err = c.Call(context.Background(), cl.method, cl.params, &cl.out) })
					}
					wg.Wait()
				} else {
					b := c.Batch()
					var bcs []*BatchCall
					for _, cl := range calls {
						bcs = append(bcs, b.Add(cl.method, cl.params, &cl.out))
					}
					_ = b.Do(context.Background())
					for i, bc := range bcs {
						calls[i].err = bc.Err
					}
				}
				for _, i := range []int{0, 1, 2, 5} {
					if calls[i].err != nil || len(calls[i].out) == 0 {
						t.Errorf("%s: %v", calls[i].method, calls[i].err)
					}
				}
				// A write without an idempotency key is not sent again.
				if !errors.Is(calls[3].err, vkerr.Server) {
					t.Errorf("wall.edit: %v", calls[3].err)
				}
				// Retries are bounded: the first try and three more.
				var ce *CallError
				if !errors.Is(calls[4].err, vkerr.Server) || !errors.As(calls[4].err, &ce) || ce.Method != "groups.getById" {
					t.Errorf("groups.getById: %v", calls[4].err)
				}
				fired := map[string]int64{}
				for _, f := range s.Faults().List() {
					fired[f.ID] = f.Fired
				}
				if fired["users-10"] != 1 || fired["send-1"] != 1 || fired["edit-10"] != 1 || fired["groups-10"] != 4 {
					t.Errorf("faults fired %v", fired)
				}
				// Four execute requests; the later ones carry only the calls to
				// retry, messages.send with its first random_id.
				ex := executes(t, s)
				if len(ex) != 4 || len(s.Requests().All()) != 4 {
					t.Fatalf("%d executes, %d requests", len(ex), len(s.Requests().All()))
				}
				if len(ex[0]) != 6 {
					t.Fatalf("first execute: %+v", ex[0])
				}
				var rid string
				for _, ic := range ex[0] {
					if ic.Method == "messages.send" {
						rid = ic.Args["random_id"]
					}
				}
				var again []string
				for _, ic := range ex[1] {
					again = append(again, ic.Method)
					if ic.Method == "messages.send" && (rid == "" || ic.Args["random_id"] != rid) {
						t.Errorf("random_id %q, first %q", ic.Args["random_id"], rid)
					}
				}
				if got := strings.Join(sorted(again), ","); got != "groups.getById,messages.send,users.get" {
					t.Errorf("second execute: %s", got)
				}
				for _, e := range ex[2:] {
					if len(e) != 1 || e[0].Method != "groups.getById" {
						t.Errorf("later execute: %+v", e)
					}
				}
				if ms := s.World().Messages(); len(ms) != 1 || fmt.Sprint(ms[0].RandomID) != rid {
					t.Errorf("messages %+v", ms)
				}
			})
		})
	}
}

func TestVKMockBatchWholeRequestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("5 once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := memMock(t)
			tok, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Tokens().SetState(tok.Token, vkmock.StateRevoked); err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			var logMu sync.Mutex
			c := New(tok.Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithLogger(newTestLogger(&logs, &logMu)),
				WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range errs {
				wg.Go(func() { errs[i] = c.Call(ctx, "users.get", Params{"user_ids": i + 1}, nil) })
			}
			wg.Wait()
			for i, err := range errs {
				var ce *CallError
				var te *TokenError
				if !errors.Is(err, vkerr.Auth) || !errors.As(err, &te) || !errors.As(err, &ce) || ce.Method != "users.get" {
					t.Errorf("call %d: %v", i, err)
				}
			}
			if n := len(s.Requests().All()); n != 1 {
				t.Errorf("%d requests: a whole-batch error must be handled once", n)
			}
			logMu.Lock()
			if n := strings.Count(logs.String(), "token left the pool"); n != 1 {
				t.Errorf("%d removal records", n)
			}
			logMu.Unlock()
			b := c.Batch()
			b.Add("users.get", Params{"user_ids": 1}, nil)
			b.Add("groups.getById", Params{"group_ids": 1}, nil)
			if err := b.Do(ctx); !errors.Is(err, ErrNoTokens) || len(s.Requests().All()) != 1 {
				t.Errorf("after: %v, %d requests", err, len(s.Requests().All()))
			}
		})
	})
	t.Run("6 retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := memMock(t)
			addFault(t, s, vkmock.Fault{Method: "execute", Times: 1, Error: &vkerr.Error{Code: vkerr.TooMany}})
			c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup))
			b := c.Batch()
			users := make([][]struct {
				ID int `json:"id"`
			}, 30)
			for i := range users {
				b.Add("users.get", Params{"user_ids": i + 1}, &users[i])
			}
			if err := b.Do(ctx); err != nil {
				t.Fatal(err)
			}
			for i, u := range users {
				if len(u) != 1 || u[0].ID != i+1 {
					t.Fatalf("users.get %d: %+v", i+1, u)
				}
			}
			ex := s.Requests().Of("execute")
			if len(ex) != 3 || countCode(ex, vkerr.TooMany) != 1 {
				t.Errorf("%d executes, %d errors 6", len(ex), countCode(ex, vkerr.TooMany))
			}
		})
	})
	t.Run("17 validated once", func(t *testing.T) {
		s := vkmocktest.NewServer(t)
		tok := s.Tokens().Of(vkmock.TokenUser).Token
		if err := s.Challenges().SetToken(tok, vkerr.AuthValidation); err != nil {
			t.Fatal(err)
		}
		var validations atomic.Int32
		c := New(tok, WithBaseURL(s.URL()), WithTokenKind(KindUser), WithValidator(pageValidator(s, "ok", &validations)),
			WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() { errs[i] = c.Call(ctx, "users.get", Params{"user_ids": i + 1}, nil) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		ex := s.Requests().Of("execute")
		if validations.Load() != 1 || len(ex) != 2 || countCode(ex, vkerr.AuthValidation) != 1 {
			t.Errorf("%d validations, %d executes", validations.Load(), len(ex))
		}
	})
}

// TestVKMockBatchLostAnswerWithUnsafeCall loses the answer of an execute
// that ran (a fault of the phase "after") and carried a write without an
// idempotency key: that call gets the error, since it may have acted, and
// the calls safe to repeat go again in a later batch; the keyed message is
// delivered once.
func TestVKMockBatchLostAnswerWithUnsafeCall(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprintf("auto=%v", auto), func(t *testing.T) {
			s := vkmocktest.NewServer(t)
			addFault(t, s, vkmock.Fault{Method: "execute", Phase: "after", Times: 1, HTTPStatus: 502})
			opts := []Option{WithBaseURL(s.URL()), WithTokenKind(KindUser), WithRetry(fastRetry)}
			if auto {
				opts = append(opts, WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
			}
			c := New(s.Tokens().Of(vkmock.TokenUser).Token, opts...)
			methods := []string{"users.get", "messages.send", "wall.edit", "users.get"}
			params := []Params{{"user_ids": 1}, {"peer_id": 31337, "message": "kept"}, {"post_id": 1, "message": "x"}, {"user_ids": 2}}
			errs := make([]error, len(methods))
			outs := make([]json.RawMessage, len(methods))
			if auto {
				var wg sync.WaitGroup
				for i := range methods {
					wg.Go(func() { errs[i] = c.Call(context.Background(), methods[i], params[i], &outs[i]) })
				}
				wg.Wait()
			} else {
				b := c.Batch()
				var bcs []*BatchCall
				for i := range methods {
					bcs = append(bcs, b.Add(methods[i], params[i], &outs[i]))
				}
				_ = b.Do(context.Background())
				for i, bc := range bcs {
					errs[i] = bc.Err
				}
			}
			for _, i := range []int{0, 1, 3} {
				if errs[i] != nil || len(outs[i]) == 0 {
					t.Errorf("%s: %v", methods[i], errs[i])
				}
			}
			var he *vkerr.HTTPError
			if !errors.As(errs[2], &he) || he.StatusCode != 502 {
				t.Errorf("wall.edit: %v", errs[2])
			}
			ex := executes(t, s)
			if len(ex) != 2 || len(ex[0]) != 4 || len(ex[1]) != 3 {
				t.Fatalf("executes %+v", ex)
			}
			for _, ic := range ex[1] {
				if ic.Method == "wall.edit" {
					t.Error("the unsafe call was sent again")
				}
			}
			if ms := s.World().Messages(); len(ms) != 1 || fmt.Sprint(ms[0].ID) != string(outs[1]) {
				t.Errorf("messages %+v, answer %s", ms, outs[1])
			}
		})
	}
}
