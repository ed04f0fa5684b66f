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
)

const testToken = "vk1.a.SECRETtokenVALUE_0123456789"

func TestCallSendsFormWithBearer(t *testing.T) {
	f := newFakeVK(t, func(r fakeReq) reply {
		return ok([]map[string]any{{"id": 1, "first_name": "Pavel"}})
	})
	c := New(testToken, WithBaseURL(f.URL()), WithTokenKind(KindUser), WithLang("en"))
	var users []struct {
		ID        int    `json:"id"`
		FirstName string `json:"first_name"`
	}
	err := c.Call(context.Background(), "users.get", Params{"user_ids": []int{1, 2}, "fields": []string{"photo", "city"}, "extended": true}, &users)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].FirstName != "Pavel" {
		t.Fatalf("decoded %+v", users)
	}
	rs := f.requests()
	if len(rs) != 1 {
		t.Fatalf("%d requests", len(rs))
	}
	r := rs[0]
	if r.Method != "users.get" || r.Token != testToken {
		t.Errorf("method %q token %q", r.Method, r.Token)
	}
	if strings.Contains(r.URL, testToken) || strings.Contains(r.Body, testToken) {
		t.Errorf("token in URL or body: %s %s", r.URL, r.Body)
	}
	want := map[string]string{"user_ids": "1,2", "fields": "photo,city", "extended": "1", "v": "5.199", "lang": "en"}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if ae := r.Header.Get("Accept-Encoding"); !strings.Contains(ae, "gzip") {
		t.Errorf("Accept-Encoding %q", ae)
	}
}

func TestCallerVersionWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, nil)
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithVersion("5.131"))
		if err := c.Call(context.Background(), "users.get", Params{"v": "5.100"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
			t.Fatal(err)
		}
		rs := f.requests()
		if got := rs[0].Form["v"]; len(got) != 1 || got[0] != "5.100" {
			t.Errorf("v = %v", got)
		}
		if got := rs[1].Form.Get("v"); got != "5.131" {
			t.Errorf("v = %q", got)
		}
	})
}

func TestInvalidMethodName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, nil)
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser))
		for _, m := range []string{"", "../secret", "users.get?x=1", "a b", ".x", "x."} {
			err := c.Call(context.Background(), m, nil, nil)
			var ce *CallError
			if !errors.As(err, &ce) || ce.Attempts != 0 {
				t.Errorf("%q: %v", m, err)
			}
		}
		if f.count() != 0 {
			t.Errorf("%d requests sent", f.count())
		}
	})
}

func TestIdempotencyKeySetOnceAndReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		f := newMemFakeVK(t, func(r fakeReq) reply {
			switch n.Add(1) {
			case 1:
				return errReply(10, "Internal server error: Unknown error, try later", nil)
			case 2:
				return reply{status: 502, ctype: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
			}
			return ok(12345)
		})
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		params := Params{"peer_id": 7, "message": "hi"}
		var id int
		if err := c.Call(context.Background(), "messages.send", params, &id); err != nil {
			t.Fatal(err)
		}
		if id != 12345 {
			t.Errorf("id %d", id)
		}
		if _, ok := params["random_id"]; ok || len(params) != 2 {
			t.Errorf("caller's params modified: %v", params)
		}
		rs := f.requests()
		if len(rs) != 3 {
			t.Fatalf("%d requests", len(rs))
		}
		rid := rs[0].Form.Get("random_id")
		if rid == "" || rid == "0" {
			t.Fatalf("random_id %q", rid)
		}
		for _, r := range rs {
			if got := r.Form["random_id"]; len(got) != 1 || got[0] != rid {
				t.Errorf("request %d random_id %v, want %s", r.N, got, rid)
			}
		}
		// A second logical call gets a new key.
		if err := c.Call(context.Background(), "messages.send", params, nil); err != nil {
			t.Fatal(err)
		}
		if got := f.requests()[3].Form.Get("random_id"); got == rid {
			t.Errorf("random_id reused across calls: %s", got)
		}
	})
}

func TestGUIDForWallPost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		f := newMemFakeVK(t, func(r fakeReq) reply {
			if n.Add(1) == 1 {
				return reply{reset: true}
			}
			return ok(map[string]int{"post_id": 9})
		})
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		if err := c.Call(context.Background(), "wall.post", Params{"message": "x"}, nil); err != nil {
			t.Fatal(err)
		}
		rs := f.requests()
		if len(rs) != 2 {
			t.Fatalf("%d requests", len(rs))
		}
		g := rs[0].Form.Get("guid")
		if len(g) != 32 || rs[1].Form.Get("guid") != g {
			t.Errorf("guid %q then %q", g, rs[1].Form.Get("guid"))
		}
	})
}

func TestCallerKeyKeptAndZeroIsUnsafe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return errReply(1, "Unknown error occurred", nil) })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		err := c.Call(context.Background(), "messages.send", Params{"peer_id": 1, "random_id": 77}, nil)
		if !errors.Is(err, vkerr.Unknown) {
			t.Fatalf("err %v", err)
		}
		if n := f.count(); n != 4 {
			t.Errorf("caller's key: %d requests, want 4 (the default cap)", n)
		}
		for _, r := range f.requests() {
			if r.Form.Get("random_id") != "77" {
				t.Errorf("random_id %q", r.Form.Get("random_id"))
			}
		}
		before := f.count()
		err = c.Call(context.Background(), "messages.send", Params{"peer_id": 1, "random_id": 0}, nil)
		var ce *CallError
		if !errors.As(err, &ce) || ce.Attempts != 1 || f.count()-before != 1 {
			t.Errorf("random_id=0 must not be retried: %v (%d requests)", err, f.count()-before)
		}
	})
}

func TestTransientRetriedForReads(t *testing.T) {
	cases := []struct {
		name string
		bad  reply
	}{
		{"error 1", errReply(1, "Unknown error occurred", nil)},
		{"error 10", errReply(10, "Internal server error", nil)},
		{"HTTP 503 html", reply{status: 503, ctype: "text/html", body: "<html><head><title>503</title></head></html>"}},
		{"HTML with 200", reply{ctype: "text/html", body: "<!DOCTYPE html><html><body>oops</body></html>"}},
		{"empty body", reply{body: " "}},
		{"truncated", reply{body: `{"response":[{"id":1,"first_name":"Pavel"}]}`, truncate: true}},
		{"cut JSON", reply{body: `{"response":[{"id":1`}},
		{"reset", reply{reset: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			f := newFakeVK(t, func(r fakeReq) reply {
				if n.Add(1) <= 2 {
					return tc.bad
				}
				return ok([]int{1})
			})
			c := New(testToken, WithBaseURL(f.URL()), WithTokenKind(KindUser), WithRetry(fastRetry))
			var out []int
			if err := c.Call(context.Background(), "users.get", nil, &out); err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || f.count() != 3 {
				t.Errorf("out %v after %d requests", out, f.count())
			}
		})
	}
}

func TestTransientNotRetriedForUnsafeWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return errReply(10, "Internal server error", nil) })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		err := c.Call(context.Background(), "wall.edit", Params{"post_id": 1}, nil)
		if !errors.Is(err, vkerr.Server) || !errors.Is(err, vkerr.ErrTransient) {
			t.Fatalf("err %v", err)
		}
		if f.count() != 1 {
			t.Errorf("%d requests", f.count())
		}
	})
}

func TestRetriesCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return reply{status: 500, body: "oops"} })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))
		err := c.Call(context.Background(), "users.get", nil, nil)
		var he *vkerr.HTTPError
		var ce *CallError
		if !errors.As(err, &he) || he.StatusCode != 500 || !errors.As(err, &ce) || ce.Attempts != 3 {
			t.Fatalf("err %v", err)
		}
		if f.count() != 3 {
			t.Errorf("%d requests", f.count())
		}
		if !strings.Contains(err.Error(), "users.get") || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Errorf("message %q", err)
		}
	})
}

func TestMaxElapsedStopsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return errReply(10, "Internal server error", nil) })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(RetryPolicy{MaxAttempts: 100, BaseDelay: 40 * time.Millisecond, MaxDelay: 40 * time.Millisecond, MaxElapsed: 150 * time.Millisecond}))
		start := time.Now()
		err := c.Call(context.Background(), "users.get", nil, nil)
		if !errors.Is(err, vkerr.Server) {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 400*time.Millisecond {
			t.Errorf("took %v", d)
		}
		if n := f.count(); n < 2 || n > 50 {
			t.Errorf("%d requests", n)
		}
	})
}

func TestNeverRetryCodes(t *testing.T) {
	for _, code := range []int{7, 15, 18, 100, 113, 3, 8, 30} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFakeVK(t, func(r fakeReq) reply { return errReply(code, vkerr.Code(code).Info().MessageEN, nil) })
			c := New(testToken, WithBaseURL(f.URL()), WithTokenKind(KindUser), WithRetry(fastRetry))
			err := c.Call(context.Background(), "users.get", nil, nil)
			var e *vkerr.Error
			if !errors.As(err, &e) || int(e.Code) != code || !errors.Is(err, vkerr.Code(code)) {
				t.Fatalf("err %v", err)
			}
			if e.RequestParams.Method() != "" || len(e.RequestParams) != 3 {
				t.Errorf("request_params %v", e.RequestParams)
			}
			if f.count() != 1 {
				t.Errorf("%d requests", f.count())
			}
		})
	}
}

func TestUnknownCodeNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return errReply(987654, "Something new", nil) })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		err := c.Call(context.Background(), "users.get", nil, nil)
		if !errors.Is(err, vkerr.Code(987654)) || !errors.Is(err, vkerr.ErrFeatureState) || f.count() != 1 {
			t.Fatalf("err %v after %d", err, f.count())
		}
	})
}

func TestNotVKNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return reply{body: `{"result": 1}`} })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		err := c.Call(context.Background(), "users.get", nil, nil)
		if !errors.Is(err, vkerr.ErrNotVK) || f.count() != 1 {
			t.Fatalf("err %v after %d", err, f.count())
		}
	})
}

func TestDecodeErrorReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return ok("not a number") })
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser))
		var n int
		err := c.Call(context.Background(), "users.get", nil, &n)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Fatalf("err %v", err)
		}
		var raw json.RawMessage
		if err := c.Call(context.Background(), "users.get", nil, &raw); err != nil || string(raw) != `"not a number"` {
			t.Fatalf("raw %s, %v", raw, err)
		}
	})
}

func TestExecuteErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply {
			return reply{body: `{"response":[1,false],"execute_errors":[{"method":"users.get","error_code":18,"error_msg":"User was deleted or banned"}]}`}
		})
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry))
		var out []any
		err := c.Call(context.Background(), "execute", Params{"code": "return [1, API.users.get({})];"}, &out)
		var ee vkerr.ExecuteErrors
		if !errors.As(err, &ee) || len(ee) != 1 || ee[0].Method != "users.get" || !errors.Is(err, vkerr.UserDeleted) {
			t.Fatalf("err %v", err)
		}
		if len(out) != 2 || out[1] != false {
			t.Errorf("out %v", out)
		}
		if f.count() != 1 {
			t.Errorf("%d requests", f.count())
		}
	})
}

func TestObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		f := newMemFakeVK(t, func(r fakeReq) reply {
			if n.Add(1) == 1 {
				return errReply(10, "Internal server error", nil)
			}
			return ok(1)
		})
		var mu sync.Mutex
		var events []string
		rec := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(fastRetry), WithObserver(ObserverFuncs{
			Request:  func(_ context.Context, e RequestEvent) { rec(fmt.Sprintf("req %s %d", e.Method, e.Attempt)) },
			Response: func(_ context.Context, e ResponseEvent) { rec(fmt.Sprintf("resp %d %d", e.Status, e.Code)) },
			Retry:    func(_ context.Context, e RetryEvent) { rec(fmt.Sprintf("retry %v %s", e.Retry, e.Reason)) },
		}))
		if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
			t.Fatal(err)
		}
		want := []string{"req users.get 1", "resp 200 10", "retry true transient failure", "req users.get 2", "resp 200 0"}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(events) != fmt.Sprint(want) {
			t.Errorf("events\n%q\nwant\n%q", events, want)
		}
	})
}

func TestCustomCheckChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply { return errReply(10, "Internal server error", nil) })
		var asked atomic.Int32
		onlyOnce := CheckFunc(func(_ context.Context, a *Attempt) (Decision, string) {
			asked.Add(1)
			if a.Number >= 2 {
				return DontRetry, "my policy: one retry"
			}
			return NoDecision, ""
		})
		p := fastRetry
		p.Checks = append([]Check{onlyOnce}, DefaultChecks()...)
		c := New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(p))
		_ = c.Call(context.Background(), "users.get", nil, nil)
		if f.count() != 2 || asked.Load() != 2 {
			t.Errorf("%d requests, %d asks", f.count(), asked.Load())
		}
		none := fastRetry
		none.Checks = []Check{}
		c = New(testToken, WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithTokenKind(KindUser), WithRetry(none))
		before := f.count()
		_ = c.Call(context.Background(), "users.get", nil, nil)
		if f.count()-before != 1 {
			t.Errorf("an empty chain retried")
		}
	})
}

func TestBackoffFullJitter(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for n, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 30: time.Second} {
		var maxSeen, minSeen time.Duration = 0, time.Hour
		for i := 0; i < 2000; i++ {
			d := p.backoff(n)
			if d < 0 || d > ceil {
				t.Fatalf("retry %d: delay %v outside [0, %v]", n, d, ceil)
			}
			maxSeen, minSeen = max(maxSeen, d), min(minSeen, d)
		}
		if maxSeen < ceil*8/10 || minSeen > ceil*2/10 {
			t.Errorf("retry %d: delays in [%v, %v] do not spread over [0, %v]", n, minSeen, maxSeen, ceil)
		}
	}
}

func TestLookupMethod(t *testing.T) {
	m := LookupMethod("messages.send")
	if !m.Known || m.Read || m.IdempotencyKey != "random_id" || fmt.Sprint(m.TokenKinds) != "[user group]" {
		t.Errorf("messages.send: %+v", m)
	}
	if m := LookupMethod("users.get"); !m.Read || m.IdempotencyKey != "" || len(m.TokenKinds) != 3 {
		t.Errorf("users.get: %+v", m)
	}
	if m := LookupMethod("wall.post"); m.IdempotencyKey != "guid" {
		t.Errorf("wall.post: %+v", m)
	}
	if m := LookupMethod("execute.myProc"); m.Known || m.Read {
		t.Errorf("execute.myProc: %+v", m)
	}
	if n := len(methodTable); n != 566 {
		t.Errorf("%d methods, the schema has 566", n)
	}
	for i := 1; i < len(methodTable); i++ {
		if methodTable[i-1].name >= methodTable[i].name {
			t.Fatalf("table not sorted at %s", methodTable[i].name)
		}
	}
}

func TestTokenKindPreference(t *testing.T) {
	if !kindUser.allows(KindUser) || kindUser.allows(KindGroup) || !kindUser.allows(KindUnknown) {
		t.Error("kindSet.allows")
	}
	for _, s := range []string{"user", "group", "service"} {
		if ParseTokenKind(s).String() != s {
			t.Errorf("ParseTokenKind(%q)", s)
		}
	}
	if ParseTokenKind("community") != KindGroup || ParseTokenKind("x") != KindUnknown {
		t.Error("ParseTokenKind aliases")
	}
}
