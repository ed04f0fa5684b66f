package vkmock

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// controlRaw sends a raw body to the control API, without a network.
func controlRaw(s *Server, method, path, body string) (int, map[string]string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var out map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// Out-of-range values get 400 with an error naming the field and its
// range, instead of being accepted and silently misbehaving.
func TestControlRefusesOutOfRange(t *testing.T) {
	s := MustNew()
	cases := []struct {
		path, body, field, msg string
	}{
		{"/__vkmock/faults", `{"method":"users.get","latency_ms":1e300}`, "latency_ms", "between 0 and 600000"},
		{"/__vkmock/faults", `{"method":"users.get","latency_ms":-1}`, "latency_ms", "between 0 and 600000"},
		{"/__vkmock/faults", `{"method":"users.get","latency":{"dist":"fixed","mean_ms":1e300}}`, "latency.mean_ms", "between 0 and 600000"},
		{"/__vkmock/faults", `{"method":"users.get","times":1e300,"effect":"reset"}`, "times", "between"},
		{"/__vkmock/faults", `{"method":"users.get","probability":2,"effect":"reset"}`, "probability", "between 0 and 1"},
		{"/__vkmock/faults", `{"method":"users.get","effect":"reset"} {}`, "", "text after the JSON value"},
		{"/__vkmock/faults", `{"method":"users.get","effect":"reset"}}`, "", "text after the JSON value"},
		{"/__vkmock/clock", `{"unix":9223372036854775807}`, "unix", "between 0 and 7258118400"},
		{"/__vkmock/clock", `{"unix":-1}`, "unix", "between 0 and 7258118400"},
		{"/__vkmock/clock", `{"unix":1e300}`, "unix", "between"},
		{"/__vkmock/clock", `{"advance_ms":9223372036854775000}`, "advance_ms", "must be between -"},
		{"/__vkmock/clock", `{"advance_ms":-9223372036854775000}`, "advance_ms", "must be between -"},
		{"/__vkmock/clock", `{"advance":"2562047h"}`, "advance", "must be between"},
		{"/__vkmock/clock", `{"now":"3000-01-01T00:00:00Z"}`, "now", "between 1970-01-01T00:00:00Z and 2200-01-01T00:00:00Z"},
		{"/__vkmock/clock", `{"unix":1}x`, "", "text after the JSON value"},
		{"/__vkmock/challenges", `{"flood":[{"method":"x","threshold":1,"cooldown_ms":9223372036854775807}]}`, "flood.cooldown_ms", "between 0 and 31536000000"},
		{"/__vkmock/challenges", `{"captcha":[{"method":"x","window_ms":-5}]}`, "captcha.window_ms", "between 0 and 31536000000"},
	}
	before := s.Clock().Now()
	for _, c := range cases {
		status, out := controlRaw(s, http.MethodPost, c.path, c.body)
		if status != http.StatusBadRequest || out["field"] != c.field || !strings.Contains(out["error"], c.msg) {
			t.Errorf("POST %s %s: %d %v, want 400 naming %q with %q", c.path, c.body, status, out, c.field, c.msg)
		}
	}
	if got := len(s.Faults().List()); got != 0 {
		t.Fatalf("%d faults added", got)
	}
	if d := s.Clock().Now().Sub(before); d < 0 || d > time.Minute {
		t.Fatalf("the clock moved by %v", d)
	}
	// In range still works, and utils.getServerTime stays positive.
	if status, out := controlRaw(s, http.MethodPost, "/__vkmock/clock", `{"unix":7258118400}`); status != http.StatusOK {
		t.Fatalf("unix at the limit: %d %v", status, out)
	}
	if status, out := controlRaw(s, http.MethodPost, "/__vkmock/clock", `{"advance_ms":-1000}`); status != http.StatusOK {
		t.Fatalf("advance_ms: %d %v", status, out)
	}
	if u := s.Clock().Now().Unix(); u <= 0 || u > 7258118400 {
		t.Fatalf("clock at %d", u)
	}
}

// A latency-only rule added before an error rule for the same method used
// to keep the error rule from ever firing; latency now composes.
func TestLatencyRuleDoesNotShadowLaterRules(t *testing.T) {
	s := MustNew(WithRateLimits(false))
	lat := mustAdd(t, s, Fault{Method: "users.get", LatencyMS: 1})
	errID := mustAdd(t, s, Fault{Method: "users.get", Error: &vkerr.Error{Code: vkerr.Server}})
	rec := serveDirect(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token))
	if !strings.Contains(rec.Body.String(), `"error_code":10`) {
		t.Fatalf("the error rule after a latency rule did not fire: %s", rec.Body)
	}
	recs := s.Requests().All()
	if got := recs[len(recs)-1].Fault; got != lat+","+errID {
		t.Fatalf("log's fault %q, want %q", got, lat+","+errID)
	}
	for _, f := range s.Faults().List() {
		if f.Fired != 1 {
			t.Fatalf("rule %s fired %d times", f.ID, f.Fired)
		}
	}
	// Alone, a latency rule delays the normal answer.
	s.Faults().Clear()
	mustAdd(t, s, Fault{Method: "users.get", LatencyMS: 1})
	rec = serveDirect(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token))
	if !strings.HasPrefix(rec.Body.String(), `{"response":`) {
		t.Fatalf("latency only: %s", rec.Body)
	}
}

// The delays of the rules that fire add up, within the write timeout.
func TestFaultDelaysAddUpWithinWriteTimeout(t *testing.T) {
	s := MustNew(WithTimeouts(Timeouts{Write: 5 * time.Second}))
	if _, err := s.Faults().Add(Fault{LatencyMS: 4500}); err == nil || !strings.Contains(err.Error(), "between 0 and 4000") {
		t.Fatalf("latency over the write timeout: %v", err)
	}
	a, b := &Fault{LatencyMS: 3000}, &Fault{Latency: &Latency{Dist: "fixed", MeanMS: 3000}}
	if d := s.delay(a) + s.delay(b); d != 6*time.Second {
		t.Fatalf("delays %v", d)
	}
	if got := s.timeouts.maxFaultLatency(); got != 4*time.Second {
		t.Fatalf("max fault latency %v", got)
	}
}
