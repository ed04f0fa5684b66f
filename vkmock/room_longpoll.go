package vkmock

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
)

// The glue of the Bots Long Poll room (vkmock/internal/longpoll): it is
// made in New, tells the Callback sender and User Long Poll of each event,
// and is served at /lp/wh<group_id> with the fault rules applied here.

// newLongPoll makes the room.
func (s *Server) newLongPoll() *longpoll.Room {
	return longpoll.New(longpoll.Deps{
		Clock: s.clk, Seed: s.seed, Seeded: DefaultGroupID, MaxGroupID: MaxGroupID,
		Emitted: s.callbackEmit,
	})
}

// longPollRequest is the fault-matching view of an a_check.
func longPollRequest(r *http.Request) *vkRequest {
	q := &vkRequest{Name: "longpoll.bots", TLS: r.TLS != nil, Host: r.Host}
	for _, k := range []string{"act", "key", "ts", "wait"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Params = append(q.Params, kv{Key: k, Value: v})
		}
	}
	return q
}

// serveLongPoll serves GET /lp/wh<group>?act=a_check&key&ts&wait.
func (s *Server) serveLongPoll(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			core.WriteJSON(w, http.StatusOK, map[string]int{"failed": 2})
			if s.logger != nil {
				s.logger.Error("vkmock: long poll internal error", "panic", fmt.Sprint(p))
			}
		}
	}()
	q := r.URL.Query()
	if q.Get("act") != "a_check" {
		core.WriteJSON(w, http.StatusOK, map[string]any{"failed": 2, "error": "act must be a_check"})
		return
	}
	forced, truncate, answered := s.longPollFault(w, r, longPollRequest(r))
	if answered {
		return
	}
	body := s.lp.Check(r.Context(), strings.TrimPrefix(r.URL.Path, "/lp/wh"), q.Get("key"), q.Get("ts"), core.Wait(q.Get("wait")), forced)
	if body == nil {
		return // the client went away
	}
	core.WriteBody(w, append(body, "\r\n"...), truncate) // VK's bodies end with CRLF (wire example 04)
}

// longPollFault applies the first fault rule matching q, a request to a
// Long Poll server (longpoll.bots or longpoll.user): its latency, then an
// HTML status page, a reset or a stall, which answer the request
// (answered), or a truncated answer to come, or a forced {"failed": N}.
func (s *Server) longPollFault(w http.ResponseWriter, r *http.Request, q *vkRequest) (forced int, truncate, answered bool) {
	f := s.matchFault(q, vkerr.KindUnknown, nil, phaseBefore, false)
	if f == nil {
		return 0, false, false
	}
	if d := s.delay(f); d > 0 && !core.Sleep(r.Context(), s.run.ctx.Done(), d) {
		core.ResetConn(w) // the client went away, or the server is going down: no empty 200
		return 0, false, true
	}
	switch {
	case f.HTTPStatus != 0:
		core.WriteHTML(w, f.HTTPStatus)
		return 0, false, true
	case f.Effect == "reset":
		core.ResetConn(w)
		return 0, false, true
	case f.Effect == "stall":
		s.stall(r.Context())
		core.ResetConn(w)
		return 0, false, true
	}
	return f.Failed, f.Effect == "truncate", false
}

// stall holds a request with no answer until the client goes away or the
// server closes (fault effect "stall": the a_check that hangs silently,
// the complaint users of every SDK share).
func (s *Server) stall(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.run.ctx.Done():
	}
}
