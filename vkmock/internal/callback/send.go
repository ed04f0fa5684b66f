package callback

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// startLocked starts the goroutines once; false after Close.
func (c *Sender) startLocked() bool {
	if c.closed {
		return false
	}
	if c.started {
		return true
	}
	c.started = true
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wake = make(chan struct{}, 1)
	c.work = make(chan *item)
	if c.client == nil {
		c.client = &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second,
			ResponseHeaderTimeout: time.Hour, // Timeout bounds each POST through its context
		}}
		c.ownClient = true
	}
	c.wg.Add(1 + c.cfg.Senders)
	go c.schedule()
	for range c.cfg.Senders {
		go c.worker()
	}
	return true
}

// confirmLocked queues the confirmation of a server.
func (c *Sender) confirmLocked(sv *Server, now time.Time) {
	sv.Status, sv.Confirmed, sv.Failures, sv.PausedUntil = StatusWait, false, 0, time.Time{}
	if !c.startLocked() {
		return
	}
	b, _ := json.Marshal(map[string]any{"type": vkevent.TypeConfirmation, "group_id": sv.GroupID})
	if !c.pushLocked(&item{group: sv.GroupID, server: sv.ID, confirm: true, typ: vkevent.TypeConfirmation, body: b, due: now}, now) {
		sv.Status = StatusFailed // never asked: it cannot succeed
	}
}

func (c *Sender) schedule() {
	defer c.wg.Done()
	for {
		// The clock channel first: a move of the clock after it closes it,
		// so the wait below cannot miss one that came after now was read.
		clockCh := c.clockMoved()
		now := c.now()
		c.mu.Lock()
		var next *item
		var wait time.Duration = -1
		for len(c.pending) > 0 && c.inflight < c.cfg.Senders {
			top := c.pending[0]
			if top.due.After(now) {
				wait = top.due.Sub(now)
				break
			}
			heap.Pop(&c.pending)
			c.pendBytes -= top.size()
			sv := c.serverLocked(top.group, top.server)
			switch {
			case sv == nil:
				c.recordLocked(Delivery{Time: now, GroupID: top.group, ServerID: top.server, EventID: top.eventID, Type: top.typ,
					Attempt: top.attempt, Outcome: "detached", Answer: "the server was deleted"})
				c.changedLocked()
				continue
			case !top.confirm && now.Before(sv.PausedUntil):
				top.due = sv.PausedUntil
				c.seq++
				top.seq = c.seq
				heap.Push(&c.pending, top)
				c.pendBytes += top.size()
				c.changedLocked()
				continue
			}
			next = top
			c.inflight++
			break
		}
		c.mu.Unlock()
		if next != nil {
			select {
			case c.work <- next:
			case <-c.ctx.Done():
				return
			}
			continue
		}
		// Nothing to send now: wait for a change, the mock's clock to move,
		// or the next due time.
		var timer <-chan time.Time
		var t *time.Timer
		if wait >= 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-c.wake:
		case <-clockCh:
		case <-timer:
		case <-c.ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if c.ctx.Err() != nil {
			return
		}
	}
}

func (c *Sender) worker() {
	defer c.wg.Done()
	for {
		select {
		case it := <-c.work:
			c.deliver(it)
		case <-c.ctx.Done():
			return
		}
	}
}

// deliver POSTs one delivery and records what came of it.
func (c *Sender) deliver(it *item) {
	c.mu.Lock()
	sv := c.serverLocked(it.group, it.server)
	var target, secret string
	if sv != nil {
		target, secret = sv.URL, sv.SecretKey
	}
	timeout, client := c.cfg.Timeout, c.client
	c.mu.Unlock()
	it.attempt++
	sent := c.now()
	rec := Delivery{Time: sent, GroupID: it.group, ServerID: it.server, EventID: it.eventID, Type: it.typ, Attempt: it.attempt}
	var status int
	var answer []byte
	var retryAfter string
	var err error
	var latency time.Duration
	if sv != nil {
		body := it.body
		if secret != "" {
			body = append(bytes.TrimSuffix(bytes.Clone(body), []byte("}")), `,"secret":`...)
			body = strconv.AppendQuote(body, secret)
			body = append(body, '}')
		}
		ctx, cancel := context.WithTimeout(c.ctx, timeout)
		req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if rerr == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", c.userAgent)
			if it.attempt > 1 {
				req.Header.Set("X-Retry-Counter", strconv.Itoa(it.attempt-1))
			}
			start := time.Now()
			var resp *http.Response
			resp, err = client.Do(req)
			if err == nil {
				answer, err = io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				status = resp.StatusCode
				retryAfter = resp.Header.Get("Retry-After")
			}
			latency = time.Since(start)
		} else {
			err = rerr
		}
		cancel()
		if c.ctx.Err() != nil { // Close: not an answer of the server
			c.mu.Lock()
			c.inflight--
			c.mu.Unlock()
			return
		}
	}
	now := c.now()
	rec.LatencyMS = float64(latency.Microseconds()) / 1000
	rec.Status = status
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the server's URL
		}
		rec.Answer = truncateAnswer([]byte(err.Error()))
	default:
		rec.Answer = truncateAnswer(answer)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	defer c.changedLocked()
	sv = c.serverLocked(it.group, it.server)
	if sv == nil {
		rec.Outcome = "detached"
		c.recordLocked(rec)
		return
	}
	if it.confirm {
		code := c.ConfirmationCode(it.group)
		if err == nil && status == http.StatusOK && string(answer) == code {
			sv.Status, sv.Confirmed = StatusOK, true
			rec.Outcome = "confirmed"
		} else {
			sv.Status = StatusFailed
			rec.Outcome = "not_confirmed"
		}
		c.recordLocked(rec)
		return
	}
	switch {
	case err == nil && status == http.StatusOK && string(answer) == "ok":
		sv.Failures = 0
		rec.Outcome = "ok"
		c.recordLocked(rec)
		return
	case err == nil && status == http.StatusOK && string(answer) == "remove":
		c.detachLocked(sv)
		rec.Outcome = "removed"
		c.recordLocked(rec)
		return
	}
	var delay time.Duration
	if d, ok := parseRetryAfter(retryAfter, now); ok && err == nil && retryAfterStatus(status) {
		rec.Outcome = "retry_after"
		delay = d
	} else {
		rec.Outcome = "failed"
		sv.Failures++
		if sv.Failures >= c.cfg.PauseAfter {
			sv.Failures = 0
			sv.PausedUntil = now.Add(c.cfg.Pause)
			rec.Outcome = "paused"
		}
	}
	if it.resends >= len(c.cfg.Schedule) {
		rec.Outcome = "given_up"
		c.recordLocked(rec)
		return
	}
	if rec.Outcome != "retry_after" {
		delay = c.cfg.Schedule[it.resends]
	}
	it.resends++
	it.due = now.Add(delay)
	if sv.PausedUntil.After(it.due) { // nothing goes to a paused server
		it.due = sv.PausedUntil
	}
	rec.Next = it.due
	c.recordLocked(rec)
	c.pushLocked(it, now)
}

// detachLocked deletes a server and its pending deliveries.
func (c *Sender) detachLocked(sv *Server) {
	g := c.groups[sv.GroupID]
	if g == nil {
		return
	}
	for i, o := range g.servers {
		if o == sv {
			g.servers = append(g.servers[:i:i], g.servers[i+1:]...)
			break
		}
	}
	kept := c.pending[:0]
	for _, it := range c.pending {
		if it.group == sv.GroupID && it.server == sv.ID {
			c.pendBytes -= it.size()
			continue
		}
		kept = append(kept, it)
	}
	clear(c.pending[len(kept):])
	c.pending = kept
	for i, it := range c.pending {
		it.index = i
	}
	heap.Init(&c.pending)
}

// The Retry-After answer, as the main Go SDK documents it (VK's own text
// is silent): vksdk's callback.RetryAfter (callback/context.go) lists 410,
// 429 and 503 as its statuses and says the resend time must be less than 3
// hours away; its HandleFunc (callback/callback.go) writes the header as an
// HTTP date. The mock also reads the header's other form of RFC 9110,
// delay-seconds (vkapi/callback's receiver sends it).

// retryAfterStatus reports whether a status may carry a Retry-After that
// reschedules.
func retryAfterStatus(status int) bool {
	return status == http.StatusGone || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// maxRetryAfter: a Retry-After must ask for less than this (vksdk: "less
// than 3 hours"); one that asks for more is not honoured, and the answer is
// an ordinary failure.
const maxRetryAfter = 3 * time.Hour

// parseRetryAfter reads an HTTP date (a past one is now) or delay-seconds,
// less than maxRetryAfter ahead; false for anything else.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n >= int64(maxRetryAfter/time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d < maxRetryAfter {
			return max(d, 0), true
		}
	}
	return 0, false
}

func truncateAnswer(b []byte) string {
	if len(b) > maxAnswerKept {
		b = b[:maxAnswerKept]
	}
	return strconv.Quote(string(b))
}
