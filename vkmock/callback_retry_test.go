package vkmock

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The answers that follow vksdk's callback.RetryAfter and Remove
// (callback/context.go): 410, 429 or 503 with a Retry-After less than 3
// hours ahead, as an HTTP date (vksdk's form) or delay-seconds, reschedule
// the event to that time without counting a failure; anything else with a
// Retry-After is an ordinary failure, resent on the schedule.
func TestCallbackRetryAfterForms(t *testing.T) {
	const (
		minute = time.Minute
		hour   = time.Hour
	)
	date := func(s *Server, d time.Duration) string { return s.Clock().Now().Add(d).Format(http.TimeFormat) }
	seconds := func(_ *Server, d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	cases := []struct {
		name   string
		status int
		header func(*Server, time.Duration) string
		ahead  time.Duration
		body   string
		want   string        // the first attempt's outcome
		next   time.Duration // when the second comes, after the first
	}{
		{"410 date, vksdk's form", http.StatusGone, date, 5 * minute, "Gone\n", "retry_after", 5 * minute},
		{"429 date", http.StatusTooManyRequests, date, 2*hour + 59*minute, "", "retry_after", 2*hour + 59*minute},
		{"503 date past", http.StatusServiceUnavailable, date, -minute, "", "retry_after", 0},
		{"503 seconds", http.StatusServiceUnavailable, seconds, minute, "", "retry_after", minute},
		{"429 seconds under 3h", http.StatusTooManyRequests, seconds, 3*hour - time.Second, "", "retry_after", 3*hour - time.Second},
		{"429 seconds 3h", http.StatusTooManyRequests, seconds, 3 * hour, "", "failed", DefaultCallbackSchedule()[0]},
		{"410 date 3h", http.StatusGone, date, 3 * hour, "", "failed", DefaultCallbackSchedule()[0]},
		{"500", http.StatusInternalServerError, seconds, minute, "", "failed", DefaultCallbackSchedule()[0]},
		{"200 not ok", http.StatusOK, seconds, minute, "later", "failed", DefaultCallbackSchedule()[0]},
		{"503 unreadable", http.StatusServiceUnavailable, func(*Server, time.Duration) string { return "soon" }, 0, "", "failed", DefaultCallbackSchedule()[0]},
		{"503 without", http.StatusServiceUnavailable, nil, 0, "", "failed", DefaultCallbackSchedule()[0]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := testServer(t, WithClock(clock.Now))
			var n atomic.Int32
			rc := newCBReceiver(t, confirming(s, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
				if n.Add(1) > 1 {
					_, _ = io.WriteString(w, "ok")
					return
				}
				if tc.header != nil {
					w.Header().Set("Retry-After", tc.header(s, tc.ahead))
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			addServer(t, s, rc.srv.URL)
			inbox(t, s, "x")
			_ = s.Callback().Idle(t.Context())
			log := s.Callback().Deliveries() // with the resend already when next is 0
			if len(log) < 2 || log[1].Outcome != tc.want || log[1].Status != tc.status || !log[1].Next.Equal(log[1].Time.Add(tc.next)) {
				t.Fatalf("first attempt %+v, want %s, next after %v", log[len(log)-1], tc.want, tc.next)
			}
			sv := s.Callback().Servers(DefaultGroupID)
			if wantFailures := map[bool]int{true: 1}[tc.want == "failed"]; len(sv) != 1 || sv[0].Failures != wantFailures {
				t.Fatalf("servers %+v, want %d failures", sv, wantFailures)
			}
			s.Clock().Advance(tc.next)
			_ = s.Callback().Idle(t.Context())
			if got := strings.Join(outcomes(s), ","); got != "confirmed,"+tc.want+",ok" || s.Callback().Deliveries()[2].Attempt != 2 {
				t.Fatalf("after %v: %s", tc.next, got)
			}
		})
	}
}

// Only the body "remove" with HTTP 200, as vksdk's Remove answers,
// detaches the server; "remove" with another status, or another body, is a
// failure; a confirmation answered "remove" is not confirmed.
func TestCallbackRemoveExactly(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{{http.StatusServiceUnavailable, "remove"}, {http.StatusOK, "remove\n"}, {http.StatusOK, "REMOVE"}} {
		s := testServer(t, WithClock(newFakeClock().Now))
		rc := newCBReceiver(t, confirming(s, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, tc.body)
		}))
		addServer(t, s, rc.srv.URL)
		inbox(t, s, "x")
		_ = s.Callback().Idle(t.Context())
		if got := strings.Join(outcomes(s), ","); got != "confirmed,failed" || len(s.Callback().Servers(DefaultGroupID)) != 1 {
			t.Fatalf("%d %q: %s, %d servers", tc.status, tc.body, got, len(s.Callback().Servers(DefaultGroupID)))
		}
	}
	s := testServer(t, WithClock(newFakeClock().Now))
	rc := newCBReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) { _, _ = io.WriteString(w, "remove") })
	a := groupCall(t, s, "groups.addCallbackServer", "url", rc.srv.URL, "title", "test")
	if a.code() != 0 {
		t.Fatal(a.body)
	}
	_ = s.Callback().Idle(t.Context())
	if sv := s.Callback().Servers(DefaultGroupID); strings.Join(outcomes(s), ",") != "not_confirmed" || len(sv) != 1 || sv[0].Status != CallbackFailed {
		t.Fatalf("confirmation answered remove: %v, %+v", outcomes(s), sv)
	}
}
