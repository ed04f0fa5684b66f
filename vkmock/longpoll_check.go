package vkmock

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// The Long Poll server: a_check holds until an event, the wait's end or
// the mock's clock moving, and answers the updates or {"failed":N}.

// newKeyLocked issues a key for the community and returns it with the ts
// to start from, ending a pending loss.
func (s *Server) newLongPollKey(groupID int64) (key string, ts int64, err error) {
	now := s.now()
	l := &s.lp
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groupLocked(groupID)
	if g == nil {
		return "", 0, errTooManyCommunities
	}
	if g.lossFrom >= 0 {
		l.loseLocked(g, g.lossFrom, g.seq)
		g.lossFrom = -1
	}
	l.keySeq++
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(s.seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(groupID))
	binary.LittleEndian.PutUint64(b[16:], l.keySeq)
	sum := sha1.Sum(append(b[:], "lpkey"...))
	key = hex.EncodeToString(sum[:])
	l.keys[key] = lpKey{group: groupID, issued: now}
	g.keys = append(g.keys, key)
	if len(g.keys) > maxKeysPerGroup {
		delete(l.keys, g.keys[0])
		g.keys = append(g.keys[:0:0], g.keys[1:]...)
	}
	return key, g.seq, nil
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
			writeJSON(w, http.StatusOK, map[string]int{"failed": 2})
			if s.logger != nil {
				s.logger.Error("vkmock: long poll internal error", "panic", fmt.Sprint(p))
			}
		}
	}()
	q := r.URL.Query()
	if q.Get("act") != "a_check" {
		writeJSON(w, http.StatusOK, map[string]any{"failed": 2, "error": "act must be a_check"})
		return
	}
	forced, truncate, answered := s.longPollFault(w, r, longPollRequest(r))
	if answered {
		return
	}
	wait := defaultLongPollWait
	if v := q.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			n = defaultLongPollWait
		}
		wait = min(n, maxLongPollWait)
	}
	body := s.aCheck(r.Context(), strings.TrimPrefix(r.URL.Path, "/lp/wh"), q.Get("key"), q.Get("ts"), wait, forced)
	if body == nil {
		return // the client went away
	}
	writeBody(w, append(body, "\r\n"...), truncate) // VK's bodies end with CRLF (wire example 04)
}

func failedBody(n int) []byte { return []byte(`{"failed":` + strconv.Itoa(n) + `}`) }

func failed1(ts int64) []byte {
	return []byte(`{"failed":1,"ts":` + strconv.FormatInt(ts, 10) + `}`)
}

// aCheck answers an a_check, waiting up to wait seconds of the mock's
// clock; nil when ctx ends first.
func (s *Server) aCheck(ctx context.Context, server, key, tsParam string, wait, forced int) []byte {
	l := &s.lp
	deadline := s.now().Add(time.Duration(wait) * time.Second)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	T, tsErr := strconv.ParseInt(tsParam, 10, 64)
	for {
		now := s.now()
		l.mu.Lock()
		l.initLocked()
		k, ok := l.keys[key]
		if !ok || strconv.FormatInt(k.group, 10) != server || now.Sub(k.issued) >= l.cfg.KeyLifetime {
			if ok {
				l.dropKeyLocked(key)
			}
			l.mu.Unlock()
			return failedBody(2)
		}
		g := l.groups[k.group]
		switch forced {
		case 2:
			l.dropKeyLocked(key)
			l.mu.Unlock()
			return failedBody(2)
		case 1:
			// VK's failed 1 carries a ts newer than the client's
			// (wire example 15): the history was partly lost. The mock
			// skips one ts and loses the events the client had not read.
			if tsErr != nil {
				T = 0
			}
			next := l.skipLocked(g)
			l.loseLocked(g, T, next)
			l.mu.Unlock()
			return failed1(next)
		case 3:
			g.loseArmed = true
		case 0:
		default:
			l.mu.Unlock()
			return failedBody(forced)
		}
		if g.loseArmed && tsErr == nil {
			g.loseArmed = false
			if g.lossFrom < 0 || T < g.lossFrom {
				g.lossFrom = T
			}
			l.loseLocked(g, T, g.seq)
			l.dropKeyLocked(key)
			l.mu.Unlock()
			return failedBody(3)
		}
		oldest := g.seq + 1
		if len(g.hist) > g.head {
			oldest = g.hist[g.head].ts
		}
		if tsErr != nil || T < oldest-1 || T > g.seq {
			seq := g.seq
			l.mu.Unlock()
			return failed1(seq)
		}
		if T < g.seq {
			if body, newT := s.updatesLocked(g, T); body != nil {
				l.mu.Unlock()
				return body
			} else {
				T = newT // only events the settings filter out: wait on
			}
		}
		notify, clockCh := g.notify, s.clk.Moved()
		l.mu.Unlock()
		left := deadline.Sub(now)
		if left <= 0 {
			return []byte(`{"ts":"` + strconv.FormatInt(T, 10) + `","updates":[]}`)
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		l.waiting.Add(1)
		select {
		case <-ctx.Done():
			l.waiting.Add(-1)
			return nil
		case <-notify:
		case <-clockCh:
		case <-timer.C:
		}
		l.waiting.Add(-1)
	}
}

func (l *lpState) dropKeyLocked(key string) {
	k, ok := l.keys[key]
	if !ok {
		return
	}
	delete(l.keys, key)
	if g := l.groups[k.group]; g != nil {
		for i, x := range g.keys {
			if x == key {
				g.keys = append(g.keys[:i:i], g.keys[i+1:]...)
				break
			}
		}
	}
}

// updatesLocked builds the answer for the events after T, up to
// MaxUpdates of them; nil and the new T when every event after T is lost
// or filtered out by the settings.
func (s *Server) updatesLocked(g *lpGroup, T int64) ([]byte, int64) {
	oldest := g.hist[g.head].ts
	version := g.settings.APIVersion
	legacy := versionLess(version, LegacyMessageVersion)
	b := make([]byte, 0, 512)
	b = append(b, `{"ts":"`...)
	tsAt := len(b)
	b = append(b, `","updates":[`...)
	n := 0
	last := T
	for ts := T + 1; ts <= g.seq && n < s.lp.cfg.MaxUpdates; ts++ {
		e := &g.hist[g.head+int(ts-oldest)]
		last = ts
		if e.lost || !g.settings.Events[string(e.typ)] {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		obj := e.object
		if legacy && e.legacy != nil {
			obj = e.legacy
		}
		b = append(b, `{"group_id":`...)
		b = strconv.AppendInt(b, g.id, 10)
		b = append(b, `,"type":`...)
		b = strconv.AppendQuote(b, string(e.typ))
		b = append(b, `,"event_id":"`...)
		b = append(b, e.eventID...)
		b = append(b, `","v":`...)
		b = strconv.AppendQuote(b, version)
		b = append(b, `,"object":`...)
		b = append(b, obj...)
		b = append(b, '}')
	}
	if n == 0 {
		return nil, last
	}
	b = append(b, "]}"...)
	tsStr := strconv.FormatInt(last, 10)
	out := make([]byte, 0, len(b)+len(tsStr))
	out = append(append(append(out, b[:tsAt]...), tsStr...), b[tsAt:]...)
	return out, last
}

// parseVersion reads "5.199" as (5, 199).
func parseVersion(v string) ([2]int, bool) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return [2]int{}, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || x < 0 || y < 0 {
		return [2]int{}, false
	}
	return [2]int{x, y}, true
}

func versionLess(a, b string) bool {
	x, ok1 := parseVersion(a)
	y, ok2 := parseVersion(b)
	if !ok1 || !ok2 {
		return false
	}
	return x[0] < y[0] || (x[0] == y[0] && x[1] < y[1])
}

// legacyMessage turns a 5.103+ message_new object into the legacy bare
// message: the message's fields plus body (the text), user_id (the
// author) and read_state.
func legacyMessage(object []byte) []byte {
	var o struct {
		Message map[string]json.RawMessage `json:"message"`
	}
	if json.Unmarshal(object, &o) != nil || o.Message == nil {
		return nil
	}
	m := o.Message
	if t, ok := m["text"]; ok {
		m["body"] = t
	}
	if f, ok := m["from_id"]; ok {
		m["user_id"] = f
	}
	m["read_state"] = json.RawMessage("0")
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}

// longPollFault applies the first fault rule matching q, a request to a
// Long Poll server (longpoll.bots or longpoll.user): its latency, then an
// HTML status page or a reset, which answer the request (answered), or a
// truncated answer to come, or a forced {"failed": N}.
func (s *Server) longPollFault(w http.ResponseWriter, r *http.Request, q *vkRequest) (forced int, truncate, answered bool) {
	f := s.matchFault(q, vkerr.KindUnknown, nil, phaseBefore, false)
	if f == nil {
		return 0, false, false
	}
	if d := s.delay(f); d > 0 && !s.sleep(r.Context(), d) {
		resetConn(w) // the client went away, or the server is going down: no empty 200
		return 0, false, true
	}
	switch {
	case f.HTTPStatus != 0:
		writeHTML(w, f.HTTPStatus)
		return 0, false, true
	case f.Effect == "reset":
		resetConn(w)
		return 0, false, true
	case f.Effect == "stall":
		s.stall(r.Context())
		resetConn(w)
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
