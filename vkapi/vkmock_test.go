package vkapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/loadtest"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// Tests of the remedies against vkmock (part 1: strict rate limits, token
// states, fault rules).

func countCode(recs []vkmock.RequestRecord, code vkerr.Code) int {
	n := 0
	for _, r := range recs {
		if r.ErrorCode != nil && *r.ErrorCode == code {
			n++
		}
	}
	return n
}

func addFault(t *testing.T, s *vkmock.Server, f vkmock.Fault) {
	t.Helper()
	if _, err := s.Faults().Add(f); err != nil {
		t.Fatal(err)
	}
}

func TestVKMockLimiterHolds(t *testing.T) {
	d := 2 * time.Second
	if testing.Short() {
		d = time.Second
	}
	for _, kind := range []vkmock.TokenKind{vkmock.TokenGroup, vkmock.TokenUser} {
		t.Run(kind.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := memMock(t)
				c := New(s.Tokens().Of(kind).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(kind),
					WithRetry(RetryPolicy{MaxAttempts: 1}))
				res := runLoad(c, 30, d, "users.get", Params{"user_ids": 1})
				recs := s.Requests().Of("users.get")
				if n := countCode(recs, vkerr.TooMany); n != 0 || res.TooMany != 0 {
					t.Errorf("%d errors 6 at the mock, %d seen by callers", n, res.TooMany)
				}
				if res.Other != 0 {
					t.Errorf("%d other errors; first: %v", res.Other, res.FirstErr)
				}
				budget := 3.0
				if kind == vkmock.TokenGroup {
					budget = 20
				}
				util := float64(res.OK) / (budget * res.Elapsed.Seconds())
				t.Logf("%s: %d calls in %v: %.1f%% of the budget", kind, res.OK, res.Elapsed, 100*util)
				if util < 0.85 {
					t.Errorf("utilisation %.1f%%", 100*util)
				}
			})
		})
	}
}

// runLoad has callers goroutines call method as fast as the client lets
// them for d (see loadtest.Run).
func runLoad(c *Client, callers int, d time.Duration, method string, p Params) loadtest.Result {
	return loadtest.Run(callers, d, func(ctx context.Context) error { return c.Call(ctx, method, p, nil) })
}

func TestVKMockTransientBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		tok := s.Tokens().Of(vkmock.TokenGroup).Token
		addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
		addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Unknown}})
		addFault(t, s, vkmock.Fault{Method: "messages.send", Times: 2, Error: &vkerr.Error{Code: vkerr.Server}})
		c := New(tok, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup), WithRetry(fastRetry))
		ctx := context.Background()
		if err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil); err != nil {
			t.Fatal(err)
		}
		if recs := s.Requests().Of("users.get"); len(recs) != 3 {
			t.Errorf("users.get: %d requests, want 3", len(recs))
		}
		var id int
		if err := c.Call(ctx, "messages.send", Params{"peer_id": 100, "message": "hi"}, &id); err != nil {
			t.Fatal(err)
		}
		recs := s.Requests().Of("messages.send")
		if len(recs) != 3 {
			t.Fatalf("messages.send: %d requests, want 3", len(recs))
		}
		rid := recs[0].Param("random_id")
		for _, r := range recs {
			if r.Param("random_id") != rid || rid == "" {
				t.Errorf("random_id %q, want %q on every attempt", r.Param("random_id"), rid)
			}
		}
		// A write without an idempotency key is not repeated.
		addFault(t, s, vkmock.Fault{Method: "wall.edit", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
		user := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithRetry(fastRetry))
		err := user.Call(ctx, "wall.edit", Params{"post_id": 1, "message": "x"}, nil)
		if !errors.Is(err, vkerr.Server) || len(s.Requests().Of("wall.edit")) != 1 {
			t.Errorf("wall.edit: %v after %d requests", err, len(s.Requests().Of("wall.edit")))
		}
	})
}

func TestVKMockHTTPFaults(t *testing.T) {
	s := vkmocktest.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, HTTPStatus: 502})
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Effect: "reset"})
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Effect: "truncate"})
	c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithRetry(fastRetry))
	var out []map[string]any
	if err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Error("empty response")
	}
	if n := len(s.Requests().Of("users.get")); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	s.Faults().Clear()
	addFault(t, s, vkmock.Fault{Method: "users.get", HTTPStatus: 503})
	err := c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil)
	var he *vkerr.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 503 || !errors.Is(err, vkerr.ErrTransient) {
		t.Errorf("err %v", err)
	}
}

// TestVKMockHTTPFaultsOnWrites loses the answers of writes that have acted
// (faults of the phase "after"): a write with an idempotency key is resent
// with the same key and acts once; one without is not resent.
func TestVKMockHTTPFaultsOnWrites(t *testing.T) {
	s := vkmocktest.NewServer(t)
	for _, f := range []vkmock.Fault{{HTTPStatus: 502}, {Effect: "reset"}, {Effect: "truncate"}, {Error: &vkerr.Error{Code: vkerr.Server}}} {
		f.Method, f.Phase, f.Times = "messages.send", "after", 1
		addFault(t, s, f)
	}
	c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(s.URL()), WithTokenKind(KindGroup), WithRetry(RetryPolicy{
		MaxAttempts: 6, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	ctx := context.Background()
	var id int64
	if err := c.Call(ctx, "messages.send", Params{"peer_id": 777, "message": "once"}, &id); err != nil {
		t.Fatal(err)
	}
	recs := s.Requests().Of("messages.send")
	if len(recs) != 5 {
		t.Fatalf("%d requests, want 5", len(recs))
	}
	rid := recs[0].Param("random_id")
	for _, r := range recs {
		if rid == "" || r.Param("random_id") != rid {
			t.Errorf("random_id %q, want %q on every attempt", r.Param("random_id"), rid)
		}
	}
	ms := s.World().Messages()
	if len(ms) != 1 || ms[0].ID != id || ms[0].PeerID != 777 || strconv.FormatInt(ms[0].RandomID, 10) != rid {
		t.Fatalf("messages %+v, the caller got id %d", ms, id)
	}

	// random_id 0 asks VK not to deduplicate: the message was stored, its
	// answer lost, and a resend would store it again, so there is none.
	addFault(t, s, vkmock.Fault{Method: "messages.send", Phase: "after", Times: 1, HTTPStatus: 502})
	err := c.Call(ctx, "messages.send", Params{"peer_id": 778, "message": "no key", "random_id": 0}, nil)
	var he *vkerr.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 502 {
		t.Fatalf("err %v", err)
	}
	if n := len(s.Requests().Of("messages.send")); n != 6 || len(s.World().Messages()) != 2 {
		t.Errorf("%d requests, %d messages: a write without a key was resent", n, len(s.World().Messages()))
	}
	// The same for a write that takes no key at all.
	user := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser), WithRetry(fastRetry))
	addFault(t, s, vkmock.Fault{Method: "wall.edit", Phase: "after", Times: 1, Effect: "reset"})
	err = user.Call(ctx, "wall.edit", Params{"post_id": 1, "message": "x"}, nil)
	if err == nil || !isTransient(err) || len(s.Requests().Of("wall.edit")) != 1 {
		t.Errorf("wall.edit: %v after %d requests", err, len(s.Requests().Of("wall.edit")))
	}
}

func TestVKMockTooManyRetried(t *testing.T) {
	t.Parallel() // it waits for rate windows
	s := vkmocktest.NewServer(t)
	addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, Error: &vkerr.Error{Code: vkerr.TooMany}})
	// 6 is resent even for a write without an idempotency key: VK refused
	// it without acting.
	addFault(t, s, vkmock.Fault{Method: "wall.edit", Times: 1, Error: &vkerr.Error{Code: vkerr.TooMany}})
	c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(s.URL()), WithTokenKind(KindUser))
	var wg sync.WaitGroup
	var errUsers, errEdit error
	wg.Go(func() { errUsers = c.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil) })
	wg.Go(func() { errEdit = c.Call(context.Background(), "wall.edit", Params{"post_id": 1, "message": "x"}, nil) })
	wg.Wait()
	if errUsers != nil || errEdit != nil {
		t.Fatal(errUsers, errEdit)
	}
	for _, m := range []string{"users.get", "wall.edit"} {
		recs := s.Requests().Of(m)
		if len(recs) != 2 || countCode(recs, vkerr.TooMany) != 1 || recs[1].Time.Sub(recs[0].Time) < 900*time.Millisecond {
			t.Errorf("%s: %d requests; resent too early", m, len(recs))
		}
	}
	if n := countCode(s.Requests().All(), vkerr.TooMany); n != 2 {
		t.Errorf("%d errors 6 at the mock: only the injected two", n)
	}
}

// TestVKMockAttemptTimeout: a request the server does not answer in time is
// abandoned and retried.
func TestVKMockAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		addFault(t, s, vkmock.Fault{Method: "users.get", Times: 1, LatencyMS: 5000})
		p := fastRetry
		p.AttemptTimeout = 100 * time.Millisecond
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup), WithRetry(p))
		start := time.Now()
		var users []struct {
			ID int64 `json:"id"`
		}
		if err := c.Call(context.Background(), "users.get", Params{"user_ids": 7}, &users); err != nil || len(users) != 1 || users[0].ID != 7 {
			t.Fatalf("%v %+v", err, users)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		// The abandoned request is logged when its handler gives up: once
		// every goroutine of the bubble is blocked, it has.
		synctest.Wait()
		if n := len(s.Requests().Of("users.get")); n != 2 {
			t.Errorf("%d requests", n)
		}
	})
}
func TestVKMockPoolDropsDeadToken(t *testing.T) {
	s := flowServer(t)
	bad, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	good := s.Tokens().Of(vkmock.TokenUser)
	if err := s.Tokens().SetState(bad.Token, vkmock.StateRevoked); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var logMu sync.Mutex
	c := flowClient(s, bad.Token, KindUser, WithTokens(good.Token), WithLogger(newTestLogger(&logs, &logMu)))
	var tokErrs int
	for i := 0; i < 8; i++ {
		var users []struct {
			ID int64 `json:"id"`
		}
		err := c.Call(context.Background(), "users.get", nil, &users)
		var te *TokenError
		switch {
		case err == nil:
			if len(users) != 1 || users[0].ID != good.UserID {
				t.Fatalf("served by %+v, not the good token's owner", users)
			}
		case errors.As(err, &te) && errors.Is(err, vkerr.Auth):
			tokErrs++
			if te.Token != 0 || !strings.Contains(te.Err.Message, "invalid session") {
				t.Errorf("token error %+v", te)
			}
		default:
			t.Fatal(err)
		}
	}
	if tokErrs != 1 {
		t.Errorf("%d token errors, want 1", tokErrs)
	}
	if n := countCode(s.Requests().Of("users.get"), vkerr.Auth); n != 1 {
		t.Errorf("the dead token was used %d times", n)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if n := strings.Count(out, "token left the pool"); n != 1 {
		t.Errorf("%d removal records:\n%s", n, out)
	}
	if strings.Contains(out, bad.Token) || strings.Contains(out, good.Token) {
		t.Error("a token in the log")
	}
	// The last token: deactivated (3610), then nothing is left.
	if err := s.Tokens().SetState(good.Token, vkmock.StateDeactivated); err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "users.get", nil, nil)
	var te *TokenError
	if !errors.Is(err, vkerr.UserDeactivated) || !errors.As(err, &te) || te.Token != 1 {
		t.Fatalf("3610: %v", err)
	}
	before := len(s.Requests().All())
	err = c.Call(context.Background(), "users.get", nil, nil)
	if !errors.Is(err, ErrNoTokens) || !errors.Is(err, vkerr.UserDeactivated) || len(s.Requests().All()) != before {
		t.Fatalf("all dead: %v", err)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "token left the pool"); n != 2 {
		t.Errorf("%d removal records, want 2", n)
	}
}

func TestVKMockRefresherRevivesToken(t *testing.T) {
	s := flowServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		raise func(tok string) error
		code  vkerr.Code
	}{
		{"5 expired", func(tok string) error { return s.Tokens().SetState(tok, vkmock.StateExpired) }, vkerr.Auth},
		{"3609", func(tok string) error { return s.Challenges().SetToken(tok, vkerr.TokenExtensionRequired) }, vkerr.TokenExtensionRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.raise(old.Token); err != nil {
				t.Fatal(err)
			}
			var got []*Refresh
			c := flowClient(s, old.Token, KindUser, WithTokenRefresher(TokenRefresherFunc(
				func(ctx context.Context, r *Refresh) (string, error) {
					got = append(got, r)
					nt, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser, UserID: old.UserID})
					return nt.Token, err
				})))
			for range 3 {
				var users []struct {
					ID int64 `json:"id"`
				}
				if err := c.Call(ctx, "users.get", nil, &users); err != nil || len(users) != 1 || users[0].ID != old.UserID {
					t.Fatalf("%v %+v", err, users)
				}
			}
			if len(got) != 1 || got[0].Err.Code != tc.code || got[0].Token != 0 || got[0].Kind != KindUser {
				t.Fatalf("refreshes %+v", got)
			}
		})
	}
	// A refresher that fails: the call gets the hook's error and the
	// server's, and the token stays in the pool (only the server's verdict
	// removes one): the next call asks the refresher again.
	dead, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tokens().SetState(dead.Token, vkmock.StateExpired); err != nil {
		t.Fatal(err)
	}
	c := flowClient(s, dead.Token, KindUser, WithTokenRefresher(TokenRefresherFunc(
		func(ctx context.Context, r *Refresh) (string, error) { return "", errors.New("refresh endpoint down") })))
	for range 2 {
		err = c.Call(ctx, "users.get", nil, nil)
		var te *TokenError
		var he *HookError
		if !errors.Is(err, vkerr.Auth) || !errors.As(err, &he) || errors.As(err, &te) || errors.Is(err, ErrNoTokens) ||
			!strings.Contains(err.Error(), "refresh endpoint down") {
			t.Fatalf("failing refresher: %v", err)
		}
	}
}

func TestVKMockContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		addFault(t, s, vkmock.Fault{Method: "users.get", LatencyMS: 5000})
		c := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.Call(ctx, "users.get", Params{"user_ids": 1}, nil)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Fatalf("during the request: %v after %v", err, time.Since(start))
		}
		// Cancelled while waiting for the limiter.
		s.Faults().Clear()
		user := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser))
		for i := 0; i < 3; i++ {
			if err := user.Call(context.Background(), "users.get", Params{"user_ids": 1}, nil); err != nil {
				t.Fatal(err)
			}
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel2()
		before := len(s.Requests().All())
		err = user.Call(ctx2, "users.get", Params{"user_ids": 1}, nil)
		if !errors.Is(err, context.DeadlineExceeded) || len(s.Requests().All()) != before {
			t.Fatalf("limiter wait: %v", err)
		}

		// Cancelled during the backoff between retries of a transient error.
		addFault(t, s, vkmock.Fault{Method: "groups.getById", Error: &vkerr.Error{Code: vkerr.Server}})
		slow := New(s.Tokens().Of(vkmock.TokenGroup).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindGroup),
			WithRetry(RetryPolicy{BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Second, MaxElapsed: time.Minute}))
		ctx3, cancel3 := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel3)
		start = time.Now()
		for { // the jittered first delay may be short: go on until a wait is cut
			err = slow.Call(ctx3, "groups.getById", nil, nil)
			if ctx3.Err() != nil {
				break
			}
		}
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
			t.Fatalf("backoff: %v after %v", err, time.Since(start))
		}
		if n := countCode(s.Requests().Of("groups.getById"), vkerr.Server); n < 1 {
			t.Errorf("%d requests", n)
		}

		// Cancelled while a hook waits for a person.
		if err := s.Challenges().Set(vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "wall.post"}}}); err != nil {
			t.Fatal(err)
		}
		own, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
		if err != nil {
			t.Fatal(err)
		}
		asked := make(chan struct{})
		waiting := New(own.Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithLimit(Limit{Per: 20 * time.Millisecond}),
			WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
				close(asked)
				<-ctx.Done()
				return false, ctx.Err()
			})))
		ctx4, cancel4 := context.WithCancel(context.Background())
		go func() { <-asked; cancel4() }()
		err = waiting.Call(ctx4, "wall.post", Params{"message": "x"}, nil)
		var hk *HookError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &hk) || !errors.Is(err, vkerr.NeedConfirmation) {
			t.Fatalf("hook wait: %v", err)
		}
		if n := len(s.Requests().Of("wall.post")); n != 1 {
			t.Errorf("%d wall.post requests", n)
		}
	})
}
