package vkapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
)

// innerCall is one API.method({...}) of an execute script.
type innerCall struct {
	Method string
	Args   map[string]string
}

var innerCallRE = regexp.MustCompile(`API\.([A-Za-z0-9_.]+)\((\{.*?\})\)[,\]]`)

// parseScript reads back the calls of a script made by executeCode (whose
// string literals are JSON-compatible).
func parseScript(t testing.TB, code string) []innerCall {
	t.Helper()
	if !strings.HasPrefix(code, "return [") || !strings.HasSuffix(code, "];") {
		t.Errorf("script shape: %q", code)
	}
	var calls []innerCall
	for _, m := range innerCallRE.FindAllStringSubmatch(code, -1) {
		var args map[string]string
		if err := json.Unmarshal([]byte(m[2]), &args); err != nil {
			t.Errorf("args %s: %v", m[2], err)
		}
		calls = append(calls, innerCall{m[1], args})
	}
	return calls
}

// executeFake answers execute by calling inner for each call of the script:
// a result, or an error for execute_errors (false in the response).
func executeFake(t testing.TB, inner func(c innerCall) (any, *vkerr.Error)) *fakeVK {
	return newFakeVK(t, func(r fakeReq) reply {
		if r.Method != "execute" {
			return reply{body: `{"response":"direct"}`}
		}
		calls := parseScript(t, r.Form.Get("code"))
		env := vkerr.Envelope{}
		var results []any
		for _, c := range calls {
			res, err := inner(c)
			if err != nil {
				err.Method = c.Method
				env.ExecuteErrors = append(env.ExecuteErrors, err)
				results = append(results, false)
				continue
			}
			results = append(results, res)
		}
		env.Response, _ = json.Marshal(results)
		b, _ := json.Marshal(env)
		return reply{body: string(b)}
	})
}

func TestExecuteCode(t *testing.T) {
	it, err := newBatchItem(context.Background(), "messages.send", Params{"peer_id": 5, "message": "a \"quoted\"\nline\\ and \u2028", "random_id": 7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	code := executeCode([]*batchItem{it, it})
	want := `API.messages.send({"message":"a \"quoted\"\nline\\ and \u2028","peer_id":"5","random_id":"7"})`
	if code != "return ["+want+","+want+"];" {
		t.Errorf("code = %s", code)
	}
	calls := parseScript(t, code)
	if len(calls) != 2 || calls[0].Args["message"] != "a \"quoted\"\nline\\ and \u2028" {
		t.Errorf("round trip: %+v", calls)
	}
	// An idempotency key is set once, when the caller gave none.
	it, _ = newBatchItem(context.Background(), "messages.send", Params{"peer_id": 5}, nil)
	if it.args["random_id"] == "" || !it.safe {
		t.Errorf("random_id not set: %v", it.args)
	}
}

func TestBatchable(t *testing.T) {
	for _, tc := range []struct {
		method string
		kind   TokenKind
		want   bool
	}{
		{"users.get", KindGroup, true},
		{"users.get", KindUser, true},
		{"messages.send", KindGroup, true},
		{"execute", KindUser, false},
		{"execute.myProc", KindUser, false},
		{"photos.saveWallPhoto", KindUser, false},
		{"docs.save", KindGroup, false},
		{"secure.sendNotification", KindService, false}, // execute takes no service token
		{"friends.get", KindGroup, false},               // user-only method, community token
		{"no.suchMethod", KindUser, false},
	} {
		if got := batchable(tc.method, tc.kind); got != tc.want {
			t.Errorf("batchable(%s, %s) = %v", tc.method, tc.kind, got)
		}
	}
}

func TestBatchDo(t *testing.T) {
	var serverTimeCalls atomic.Int32
	f := executeFake(t, func(c innerCall) (any, *vkerr.Error) {
		switch c.Method {
		case "users.get":
			return []map[string]any{{"id": c.Args["user_ids"]}}, nil
		case "wall.get":
			return nil, &vkerr.Error{Code: vkerr.Access, Message: "Access denied: this wall available only for community members"}
		case "utils.getServerTime":
			if serverTimeCalls.Add(1) == 1 {
				return nil, &vkerr.Error{Code: vkerr.Server, Message: "Internal server error"}
			}
			return 1700000000, nil
		case "groups.isMember":
			return false, nil // a genuine false, with no execute_errors entry
		}
		return nil, &vkerr.Error{Code: vkerr.Method}
	})
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLimit(Limit{Off: true}),
		WithRetry(RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	b := c.Batch()
	users := make([][]map[string]string, 30)
	for i := range users {
		b.Add("users.get", Params{"user_ids": i}, &users[i])
	}
	wall := b.Add("wall.get", Params{"owner_id": -1}, nil)
	var now int64
	st := b.Add("utils.getServerTime", nil, &now)
	var member bool
	gm := b.Add("groups.isMember", Params{"group_id": 1}, &member)
	var photo json.RawMessage
	save := b.Add("photos.saveWallPhoto", Params{"photo": "x", "server": 1, "hash": "h"}, &photo)

	err := b.Do(context.Background())
	for i, u := range users {
		if len(u) != 1 || u[0]["id"] != fmt.Sprint(i) {
			t.Fatalf("users[%d] = %v", i, u)
		}
	}
	var ve *vkerr.Error
	if !errors.As(wall.Err, &ve) || ve.Code != vkerr.Access || ve.Method != "wall.get" {
		t.Errorf("wall.get: %v", wall.Err)
	}
	if !errors.Is(err, vkerr.Access) || st.Err != nil || now != 1700000000 {
		t.Errorf("batch error %v; getServerTime %v, %d", err, st.Err, now)
	}
	if gm.Err != nil || member {
		t.Errorf("a genuine false: %v %v", gm.Err, member)
	}
	if save.Err != nil || string(photo) != `"direct"` {
		t.Errorf("photos.saveWallPhoto must go alone: %v %s", save.Err, photo)
	}
	// 34 batchable calls: 25 + 9 in the first round, then the retried
	// utils.getServerTime alone; the save went alone.
	var executes, direct int
	for _, r := range f.requests() {
		if r.Method == "execute" {
			executes++
			if n := len(parseScript(t, r.Form.Get("code"))); n > MaxBatchCalls {
				t.Errorf("execute with %d calls", n)
			}
		} else {
			direct++
		}
	}
	if executes != 3 || direct != 1 {
		t.Errorf("%d execute requests and %d direct ones, want 3 and 1", executes, direct)
	}
}

func TestBatchWholeRequestError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply {
			return reply{body: `{"error":{"error_code":5,"error_msg":"User authorization failed: invalid access_token (4)."}}`}
		})
		c := New("tok", WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindGroup), WithLimit(Limit{Off: true}))
		b := c.Batch()
		calls := []*BatchCall{b.Add("users.get", Params{"user_ids": 1}, nil), b.Add("groups.getById", Params{"group_id": 1}, nil)}
		if err := b.Do(context.Background()); !errors.Is(err, vkerr.Auth) {
			t.Fatalf("Do: %v", err)
		}
		for _, bc := range calls {
			var ce *CallError
			if !errors.As(bc.Err, &ce) || ce.Method != bc.Method || !errors.Is(bc.Err, vkerr.Auth) {
				t.Errorf("%s: %v", bc.Method, bc.Err)
			}
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d requests: the batch error must be handled once", n)
		}
	})
}

func TestBatchMismatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply {
			return reply{body: `{"response":[1,false],"execute_errors":[{"method":"wall.get","error_code":15,"error_msg":"Access denied"}]}`}
		})
		c := New("tok", WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithLimit(Limit{Off: true}))
		b := c.Batch()
		b.Add("users.get", Params{"user_ids": 1}, nil)
		b.Add("groups.getById", Params{"group_id": 1}, nil)
		b.Add("utils.getServerTime", nil, nil)
		if err := b.Do(context.Background()); !errors.Is(err, ErrBatchMismatch) {
			t.Fatalf("3 calls, 2 results: %v", err)
		}
		b = c.Batch()
		a := b.Add("users.get", Params{"user_ids": 1}, nil)
		g := b.Add("groups.getById", Params{"group_id": 1}, nil)
		b.Do(context.Background())
		if a.Err != nil || !errors.Is(g.Err, ErrBatchMismatch) {
			t.Errorf("execute_errors naming another method: %v / %v", a.Err, g.Err)
		}
	})
}

func TestWithBatchingCoalesces(t *testing.T) {
	f := executeFake(t, func(c innerCall) (any, *vkerr.Error) {
		if c.Method == "messages.send" && c.Args["random_id"] == "" {
			return nil, &vkerr.Error{Code: vkerr.Param, Message: "random_id is undefined"}
		}
		return c.Args["user_ids"] + c.Args["peer_id"], nil
	})
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindGroup), WithLimit(Limit{Off: true}),
		WithBatching(BatchOptions{Window: 50 * time.Millisecond}))
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var got string
			method, key := "users.get", "user_ids"
			if i%2 == 1 {
				method, key = "messages.send", "peer_id"
			}
			if err := c.Call(context.Background(), method, Params{key: i}, &got); err != nil {
				errs <- err
			} else if got != fmt.Sprint(i) {
				errs <- fmt.Errorf("call %d got %q", i, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reqs := f.requests()
	if len(reqs) > 6 {
		t.Errorf("%d requests for %d calls: not coalesced", len(reqs), n)
	}
	for _, r := range reqs {
		if r.Method != "execute" {
			t.Errorf("a %s request went alone", r.Method)
		}
	}
}

func TestWithBatchingCancelledCaller(t *testing.T) {
	release := make(chan struct{})
	defer close(release) // before the fake's Close, which waits for its handler
	arrived := make(chan struct{}, 1)
	f := executeFake(t, func(c innerCall) (any, *vkerr.Error) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		return 1, nil
	})
	c := New("tok", WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLimit(Limit{Off: true}),
		WithBatching(BatchOptions{Window: time.Millisecond}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, "users.get", Params{"user_ids": 1}, nil) }()
	// Cancel once the batch is at the server: the caller waits for it.
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the batch never reached the server")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled caller kept waiting for its batch")
	}
}
