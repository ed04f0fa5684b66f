package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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

// TestVKMockBatchHooks: a challenge inside execute goes to its hook through
// a direct request of that call alone.
func TestVKMockBatchHooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		if err := s.Challenges().Set(vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "wall.post", Text: "Post?"}}}); err != nil {
			t.Fatal(err)
		}
		var asked atomic.Int32
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithBatching(BatchOptions{Window: 20 * time.Millisecond}),
			WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
				asked.Add(1)
				return cf.Text == "Post?", nil
			})))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var postErr, userErr error
		var post struct {
			PostID int64 `json:"post_id"`
		}
		wg.Go(func() { postErr = c.Call(ctx, "wall.post", Params{"message": "hooked"}, &post) })
		wg.Go(func() { userErr = c.Call(ctx, "users.get", Params{"user_ids": 1}, nil) })
		wg.Wait()
		if postErr != nil || post.PostID == 0 || userErr != nil {
			t.Fatalf("wall.post %v %+v; users.get %v", postErr, post, userErr)
		}
		if asked.Load() != 1 || postsWith(s, "hooked") != 1 {
			t.Errorf("asked %d times, %d posts", asked.Load(), postsWith(s, "hooked"))
		}
		// One execute (the 24 inside), then wall.post alone: 24, then confirm=1.
		var methods []string
		for _, r := range s.Requests().All() {
			methods = append(methods, r.Method+"/"+r.Param("confirm"))
		}
		if fmt.Sprint(methods) != "[execute/ wall.post/ wall.post/1]" {
			t.Errorf("requests %v", methods)
		}
		// Without the hook the inner 24 comes back typed, after one request.
		other, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
		if err != nil {
			t.Fatal(err)
		}
		bare := New(other.Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithBatching(BatchOptions{}))
		before := len(s.Requests().All())
		err = bare.Call(ctx, "wall.post", Params{"message": "unhooked"}, nil)
		var ve *vkerr.Error
		if !errors.As(err, &ve) || ve.Code != vkerr.NeedConfirmation || ve.Method != "wall.post" || len(s.Requests().All()) != before+1 {
			t.Errorf("without a confirmer: %v", err)
		}
	})
}

// TestVKMockBatchMessagesExactlyOnce sends messages through WithBatching on
// a community token with vkmock's rate limits on, while inner calls fail
// before storing (error 10) and execute answers are lost after the script
// ran (502, reset, truncated): every message arrives once, and no error 6.
func TestVKMockBatchMessagesExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 500
		if testing.Short() {
			n = 150
		}
		s := memMock(t)
		addFault(t, s, vkmock.Fault{ID: "inner-10", Method: "messages.send", Probability: 0.1, Error: &vkerr.Error{Code: vkerr.Server}})
		// The first three execute answers are lost, then one in ten.
		addFault(t, s, vkmock.Fault{ID: "after-502", Method: "execute", Phase: "after", Times: 1, HTTPStatus: 502})
		addFault(t, s, vkmock.Fault{ID: "after-reset", Method: "execute", Phase: "after", Times: 1, Effect: "reset"})
		addFault(t, s, vkmock.Fault{ID: "after-truncate", Method: "execute", Phase: "after", Times: 1, Effect: "truncate"})
		addFault(t, s, vkmock.Fault{ID: "after-random", Method: "execute", Phase: "after", Probability: 0.1, HTTPStatus: 504})
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup),
			WithRetry(RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}),
			WithBatching(BatchOptions{MaxRetries: 8}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ids := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 100)
		for i := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				errs[i] = c.Call(ctx, "messages.send", Params{"peer_id": 5_000_000 + i, "message": fmt.Sprint("batched ", i)}, &ids[i])
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil || ids[i] == 0 {
				t.Fatalf("message %d: %v (id %d)", i, err, ids[i])
			}
		}
		byPeer := map[int64][]vkmock.Message{}
		for _, m := range s.World().Messages() {
			byPeer[m.PeerID] = append(byPeer[m.PeerID], m)
		}
		for i := range n {
			got := byPeer[int64(5_000_000+i)]
			if len(got) != 1 || got[0].ID != ids[i] || got[0].Message != fmt.Sprint("batched ", i) {
				t.Fatalf("peer %d: %+v, the caller got %d", 5_000_000+i, got, ids[i])
			}
		}
		if len(s.World().Messages()) != n {
			t.Errorf("%d messages for %d calls", len(s.World().Messages()), n)
		}
		recs := s.Requests().All()
		fired := map[string]int64{}
		for _, f := range s.Faults().List() {
			fired[f.ID] = f.Fired
		}
		for _, id := range []string{"inner-10", "after-502", "after-reset", "after-truncate"} {
			if fired[id] == 0 {
				t.Errorf("fault %s never fired", id)
			}
		}
		if n6 := countCode(recs, vkerr.TooMany); n6 != 0 {
			t.Errorf("%d errors 6", n6)
		}
		if len(s.Requests().Of("execute")) != len(recs) {
			t.Errorf("a message went alone")
		}
		t.Logf("%d messages in %d execute requests; faults %v", n, len(recs), fired)
	})
}

// TestVKMockBatchingThroughput is a short run of BenchmarkBatchingThroughput
// (200 callers of users.get through WithBatching on a community token,
// vkmock's strict rate limits on) that checks correctness only: every call
// answered, no error 6, every request an execute, batches nearly full. The
// throughput figure is the benchmark's (a machine under load cannot keep a
// rate in a test). It runs under testing/synctest, the mock served in
// memory: 2 s of the fake clock.
func TestVKMockBatchingThroughput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := 2 * time.Second
		r := runBatching(t, 200, d, BatchOptions{}, true)
		t.Logf("%d calls in %v: %.1f calls/s (%.1f%% of 500), %d executes of %.2f calls, %d errors 6",
			r.calls, r.elapsed.Round(time.Millisecond), r.perSecond(), r.perSecond()/5, r.executes, r.fill(), r.err6)
		if r.failed > 0 {
			t.Fatalf("%d failed calls: %v", r.failed, r.firstErr)
		}
		if r.err6 != 0 || r.requests != r.executes {
			t.Errorf("%d errors 6; %d requests, %d of them execute", r.err6, r.requests, r.executes)
		}
		if r.calls == 0 || r.fill() < 20 {
			t.Errorf("%d calls, %.2f calls per execute", r.calls, r.fill())
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

// TestVKMockBatchNotStarvedByDirectCalls: while the rate limiter is busy a
// partial batch waits for more calls, but not for ever: calls sent alone
// that keep the limiter's queue full do not hold it back for longer than
// one window of the rate limit.
func TestVKMockBatchNotStarvedByDirectCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t, vkmock.WithRateLimits(false))
		const per = 200 * time.Millisecond
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithLimit(Limit{Per: per}), WithBatching(BatchOptions{}))
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Second)
		defer stop()
		var wg sync.WaitGroup
		for range 6 { // twice the budget: the limiter always has a queue
			wg.Go(func() {
				for ctx.Err() == nil {
					_ = c.Call(ctx, "photos.saveWallPhoto", Params{"photo": "x", "server": 1, "hash": "h"}, nil)
				}
			})
		}
		time.Sleep(2 * per)
		start := time.Now()
		err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
		waited := time.Since(start)
		stop()
		wg.Wait()
		if err != nil || waited > 7*per {
			t.Fatalf("users.get: %v after %v", err, waited)
		}
		t.Logf("a batch of one waited %v behind calls sent alone", waited)
	})
}
