package vkmock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
)

func TestForcedErrorHeader(t *testing.T) {
	s := testServer(t)
	user := s.Tokens().Of(TokenUser).Token
	hdr := func(v string) map[string]string { return map[string]string{"X-Vkmock-Error": v} }
	a := post(t, s, "users.get", vals("v", "5.199", "access_token", user), hdr("10"))
	wantError(t, a, vkerr.Server, "Internal server error")
	a = post(t, s, "users.get", vals("v", "5.199", "access_token", user), hdr("15:1133"))
	wantError(t, a, vkerr.Access, "Access denied")
	if a.env.Error.Subcode != 1133 {
		t.Fatalf("subcode %d", a.env.Error.Subcode)
	}
	// 914 is not global: messages.send lists it, users.get does not.
	a = post(t, s, "messages.send", vals("v", "5.199", "access_token", user), hdr("914"))
	wantError(t, a, 914, "")
	a = post(t, s, "users.get", vals("v", "5.199", "access_token", user), hdr("914"))
	wantError(t, a, vkerr.Request, `Invalid request: X-Vkmock-Error: error 914 is not global and "users.get" does not list it`)
	a = post(t, s, "users.get", vals("v", "5.199", "access_token", user), hdr("abc"))
	wantError(t, a, vkerr.Request, "Invalid request: X-Vkmock-Error must be an error code")
}

// TestSeedErrorShapes forces each error of VK's errors page and checks
// its shape.
func TestSeedErrorShapes(t *testing.T) {
	s := testServer(t)
	user := s.Tokens().Of(TokenUser).Token
	n := 0
	for info := range vkerr.All() {
		if !info.Seed {
			continue
		}
		n++
		a := post(t, s, "messages.send", vals("v", "5.199", "access_token", user, "peer_id", "1", "captcha_key", "secret-answer"), map[string]string{"X-Vkmock-Error": strconv.Itoa(int(info.Code))})
		e := a.env.Error
		wantError(t, a, info.Code, "")
		if !strings.HasPrefix(e.Message, info.MessageEN) {
			t.Errorf("%d: error_msg %q does not start with %q", info.Code, e.Message, info.MessageEN)
		}
		if v, _ := e.RequestParams.Get("captcha_key"); v != vkerr.Redacted {
			t.Errorf("%d: captcha_key echoed as %q", info.Code, v)
		}
		if e.RequestParams.Method() != "messages.send" {
			t.Errorf("%d: request_params method %q", info.Code, e.RequestParams.Method())
		}
		switch info.Code {
		case vkerr.Captcha:
			// The picture is served by the mock itself.
			if e.CaptchaSID == "" || !strings.HasPrefix(e.CaptchaImg, s.URL()+"/captcha.php?sid="+e.CaptchaSID) {
				t.Errorf("14 without captcha fields: %s", a.body)
			}
		case vkerr.AuthValidation:
			if !strings.HasPrefix(e.RedirectURI, s.URL()+"/validate?sid=") {
				t.Errorf("17 without redirect_uri: %s", a.body)
			}
		case vkerr.NeedConfirmation:
			if e.ConfirmationText == "" {
				t.Errorf("24 without confirmation_text: %s", a.body)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d seed errors", n)
	}
}

func TestFaultRules(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user, group := s.Tokens().Of(TokenUser).Token, s.Tokens().Of(TokenGroup).Token
	get := func(method, tok string, extra ...string) *answer {
		return call(t, s, method, vals(append([]string{"v", "5.199", "access_token", tok}, extra...)...))
	}

	t.Run("first match wins", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.*", Error: &vkerr.Error{Code: vkerr.Server}})
		mustAdd(t, s, Fault{Method: "*", Error: &vkerr.Error{Code: vkerr.Unknown}})
		wantError(t, get("users.get", user), vkerr.Server, "Internal server error")
		wantError(t, get("friends.get", user), vkerr.Unknown, "")
		// Faults come before the checks.
		wantError(t, call(t, s, "users.get", nil), vkerr.Server, "")
	})
	t.Run("token and params", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", Token: "group", Error: &vkerr.Error{Code: vkerr.Permission}})
		mustAdd(t, s, Fault{Method: "users.get", Token: user, Params: map[string]string{"user_ids": "66*"}, Error: &vkerr.Error{Code: vkerr.UserDeleted}, Suffix: "gone"})
		wantError(t, get("users.get", group), vkerr.Permission, "")
		if a := get("users.get", user, "user_ids", "1"); a.code() != 0 {
			t.Fatalf("params do not match, yet %s", a.body)
		}
		wantError(t, get("users.get", user, "user_ids", "666"), vkerr.UserDeleted, "User was deleted or banned: gone")
	})
	t.Run("times under concurrency", func(t *testing.T) {
		defer s.Faults().Clear()
		id := mustAdd(t, s, Fault{Method: "users.get", Times: 5, Error: &vkerr.Error{Code: vkerr.Server}})
		var mu sync.Mutex
		failed := 0
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := get("users.get", user)
				if a.code() == vkerr.Server {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if failed != 5 {
			t.Fatalf("%d requests failed, want 5", failed)
		}
		fs := s.Faults().List()
		if len(fs) != 1 || fs[0].ID != id || fs[0].Fired != 5 {
			t.Fatalf("faults %+v", fs)
		}
	})
	t.Run("probability", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", Probability: 0.3, Error: &vkerr.Error{Code: vkerr.Server}})
		failed := 0
		for range 200 {
			if get("users.get", user).code() == vkerr.Server {
				failed++
			}
		}
		if failed < 30 || failed > 95 {
			t.Fatalf("%d of 200 failed at probability 0.3", failed)
		}
	})
	t.Run("non-global errors only where listed", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "messages.*", Error: &vkerr.Error{Code: 914}})
		wantError(t, get("messages.send", user, "peer_id", "1"), 914, "")
		if a := get("messages.getHistory", user); a.code() != 0 {
			t.Fatalf("messages.getHistory does not list 914, yet %s", a.body)
		}
		if _, err := s.Faults().Add(Fault{Method: "users.get", Error: &vkerr.Error{Code: 914}}); err == nil {
			t.Fatal("914 for users.get accepted")
		}
	})
	t.Run("captcha fields", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "wall.post", Error: &vkerr.Error{Code: vkerr.Captcha, CaptchaSID: "12345", Extra: map[string]json.RawMessage{"captcha_ts": json.RawMessage(`"1700000000.1"`)}}})
		a := get("wall.post", user, "message", "hi")
		wantError(t, a, vkerr.Captcha, "Captcha needed")
		if a.env.Error.CaptchaSID != "12345" || a.env.Error.CaptchaImg == "" {
			t.Fatalf("captcha fields: %s", a.body)
		}
	})
	t.Run("http status", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "*", HTTPStatus: 502})
		a := get("users.get", user)
		if a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.body), "502 Bad Gateway") {
			t.Fatalf("status %d %q: %s", a.status, a.header.Get("Content-Type"), a.body)
		}
	})
	t.Run("latency", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", LatencyMS: 60})
		start := time.Now()
		if a := get("users.get", user); a.code() != 0 {
			t.Fatalf("latency only changed the answer: %s", a.body)
		}
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Fatalf("answered after %v", d)
		}
	})
	t.Run("latency distribution", func(t *testing.T) {
		f := &Fault{Latency: &Latency{Dist: "uniform", MinMS: 10, MaxMS: 20}}
		for range 100 {
			if d := s.delay(f); d < 10*time.Millisecond || d > 20*time.Millisecond {
				t.Fatalf("uniform 10-20 ms drew %v", d)
			}
		}
		f = &Fault{Latency: &Latency{Dist: "normal", MeanMS: 50, StddevMS: 30, MinMS: 5, MaxMS: 80}}
		for range 100 {
			if d := s.delay(f); d < 5*time.Millisecond || d > 80*time.Millisecond {
				t.Fatalf("normal drew %v", d)
			}
		}
		f = &Fault{Latency: &Latency{Dist: "exponential", MeanMS: 10, MaxMS: 100}}
		for range 100 {
			if d := s.delay(f); d < 0 || d > 100*time.Millisecond {
				t.Fatalf("exponential drew %v", d)
			}
		}
		if d := s.delay(&Fault{Latency: &Latency{Dist: "fixed", MeanMS: 7}}); d != 7*time.Millisecond {
			t.Fatalf("fixed drew %v", d)
		}
	})
	t.Run("latency honours the request context", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", LatencyMS: 60_000})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/method/users.get?v=5.199&access_token="+user, nil)
		start := time.Now()
		_, err := s.HTTPClient().Do(req)
		if err == nil {
			t.Fatal("no error from a canceled request")
		}
		// The handler notices the client left and returns.
		deadline := time.Now().Add(5 * time.Second)
		for {
			recs := s.Requests().All()
			if len(recs) > 0 && recs[len(recs)-1].Effect == "canceled" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("handler still sleeping after %v", time.Since(start))
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Run("reset", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", Effect: "reset"})
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/method/users.get?v=5.199&access_token="+user, nil)
		resp, err := s.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("reset: got a response %d", resp.StatusCode)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		defer s.Faults().Clear()
		mustAdd(t, s, Fault{Method: "users.get", Effect: "truncate"})
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/method/users.get?v=5.199&access_token="+user, nil)
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncate: read %q, err %v", body, err)
		}
		if !strings.HasPrefix(string(body), `{"response":`) {
			t.Fatalf("truncated body %q", body)
		}
	})
	t.Run("validation", func(t *testing.T) {
		bad := []Fault{
			{Method: "["},
			{Probability: 2, HTTPStatus: 500},
			{Times: -1, HTTPStatus: 500},
			{HTTPStatus: 42},
			{Effect: "explode"},
			{Method: "users.get"},
			{Error: &vkerr.Error{}},
			{Latency: &Latency{Dist: "gauss"}},
			{LatencyMS: -1},
		}
		for _, f := range bad {
			if _, err := s.Faults().Add(f); err == nil {
				t.Errorf("fault %+v accepted", f)
			}
		}
		id := mustAdd(t, s, Fault{ID: "mine", HTTPStatus: 503})
		if _, err := s.Faults().Add(Fault{ID: "mine", HTTPStatus: 503}); err == nil {
			t.Error("duplicate id accepted")
		}
		if !s.Faults().Remove(id) || s.Faults().Remove(id) {
			t.Error("RemoveFault")
		}
	})
}

func mustAdd(t testing.TB, s *Server, f Fault) string {
	t.Helper()
	id, err := s.Faults().Add(f)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Faults().Wait returns once the rule has fired the times asked, ends with its
// context, and refuses an unknown id.
func TestWaitFault(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	id := mustAdd(t, s, Fault{Method: "users.get", Error: &vkerr.Error{Code: vkerr.Server}, Times: 2})
	if err := s.Faults().Wait(t.Context(), "nope", 1); err == nil {
		t.Fatal("an unknown id waited")
	}
	short, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Faults().Wait(short, id, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("a canceled wait: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Faults().Wait(t.Context(), id, 2) }()
	user := s.Tokens().Of(TokenUser).Token
	for range 2 {
		wantError(t, call(t, s, "users.get", vals("access_token", user, "v", "5.199")), vkerr.Server, "")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Faults().Wait(t.Context(), id, 2); err != nil { // fired already
		t.Fatal(err)
	}
	if f := s.Faults().List()[0]; f.Fired != 2 {
		t.Fatalf("fired %d", f.Fired)
	}
}

// A waiter blocked on Faults().Wait is woken by the firing itself.
func TestWaitFaultWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := MustNew(WithRateLimits(false))
		defer s.Close()
		id := mustAdd(t, s, Fault{Method: "users.get", Error: &vkerr.Error{Code: vkerr.Server}})
		done := make(chan error, 1)
		go func() { done <- s.Faults().Wait(context.Background(), id, 1) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("returned before the rule fired: %v", err)
		default:
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/method/users.get?v=5.199&access_token="+s.Tokens().Of(TokenUser).Token, nil))
		if !strings.Contains(rec.Body.String(), `"error_code":10`) {
			t.Fatalf("answer %s", rec.Body)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
