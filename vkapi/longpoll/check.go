package longpoll

// The requests of the loop: groups.getLongPollServer and a_check.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
	"github.com/vkerr/vkerr/vkevent"
)

// fetchServer gets a key (and, when the poller has none, a ts). It leaves
// the key empty after backing off or cooling down; it returns an error
// only to end Run.
func (p *Poller) fetchServer(ctx context.Context) error {
	var r struct {
		Key    string          `json:"key"`
		Server string          `json:"server"`
		TS     json.RawMessage `json:"ts"`
	}
	err := p.api.Call(ctx, "groups.getLongPollServer", vkapi.Params{"group_id": p.group}, &r)
	if err == nil {
		ts, ok := tsString(r.TS)
		if r.Key == "" || r.Server == "" || !ok {
			err = &vkerr.FormatError{Reason: "groups.getLongPollServer answer lacks key, server or ts"}
		} else {
			p.key, p.server = r.Key, r.Server
			if p.ts == "" {
				p.moveTo(ts)
				p.save(ctx)
			}
			return nil
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var cd *vkapi.CooldownError
	if errors.As(err, &cd) {
		wait := max(time.Until(cd.Until), p.cfg.CooldownMin)
		p.recovery(ctx, "cooldown", "wait before getting a server again", wait, err)
		_ = retry.Sleep(ctx, wait)
		return nil
	}
	if retry.Fatal(err) {
		return &ServerError{GroupID: p.group, Err: err}
	}
	p.backoff(ctx, "server_error", err)
	return nil
}

// tsString reads a ts sent as a string or a number.
func tsString(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		_, err := strconv.ParseUint(s, 10, 64)
		return s, err == nil
	}
	var n uint64
	if json.Unmarshal(raw, &n) == nil {
		return strconv.FormatUint(n, 10), true
	}
	return "", false
}

// check sends one a_check and decodes its answer.
func (p *Poller) check(ctx context.Context) (*vkevent.Answer, error) {
	u, err := url.Parse(p.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		p.key = "" // a server URL we cannot use: get another
		return nil, &CheckError{Err: errors.New("the server URL is not http(s)")}
	}
	q := u.Query()
	q.Set("act", "a_check")
	q.Set("key", p.key)
	q.Set("ts", p.ts)
	q.Set("wait", strconv.Itoa(int(p.cfg.Wait/time.Second)))
	u.RawQuery = q.Encode()
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Wait+p.cfg.TimeoutMargin)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &CheckError{Err: errors.New("bad request")}
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, &CheckError{Err: stripURL(err)}
	}
	defer resp.Body.Close()
	// DecodeLongPoll keeps no reference to body, so the next answer
	// reuses its buffer.
	body, err := p.body.Read(resp.Body, maxAnswerBytes+1)
	defer p.body.Release()
	if err != nil {
		return nil, &CheckError{Err: stripURL(err)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &CheckError{StatusCode: resp.StatusCode, Err: &vkerr.HTTPError{StatusCode: resp.StatusCode}}
	}
	if len(body) > maxAnswerBytes {
		return nil, &CheckError{Err: errors.New("answer larger than the limit")}
	}
	return vkevent.DecodeLongPoll(body)
}

// stripURL drops the request URL (it holds the key) from a client error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
