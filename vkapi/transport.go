package vkapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/internal/httpclient"
)

// The HTTP exchange of one attempt: the request, the same-origin guard on
// redirects, and the classification of the answer's bytes.

// ErrCrossOriginRedirect is matched by the error of a request the server
// redirected to another origin (scheme, host or port) than the base URL's:
// the client does not follow it, since the request carries the token and
// the form (captcha answers included). The upload client refuses such
// redirects of its POSTs with the same error.
var ErrCrossOriginRedirect = httpclient.ErrCrossOriginRedirect

// guardedHTTPClient returns the HTTP client the client sends with: hc's
// copy, or a client of its own when hc is nil (own reports that), whose
// CheckRedirect refuses redirects to another origin than the request's
// before hc's own CheckRedirect (or net/http's default) decides.
func guardedHTTPClient(hc *http.Client) (_ *http.Client, own bool) {
	if hc == nil {
		t := httpclient.Transport()
		t.MaxIdleConnsPerHost = 100
		return &http.Client{Transport: t, CheckRedirect: httpclient.SameOrigin(nil)}, true
	}
	return httpclient.Guard(hc), false
}

// answer is what one HTTP exchange gave.
type answer struct {
	raw        json.RawMessage // the "response" value, unless decoded
	decoded    bool            // the response went straight into out
	status     int             // the HTTP status; 0 when there was no answer
	retryAfter time.Duration   // the Retry-After of a 429 or 503
	err        error
}

// send makes one HTTP request and classifies its answer. On the common
// path, a 200 answer {"response": ...} with nothing else, it decodes the
// response into out in the same pass as the envelope and reports decoded;
// every other answer goes to vkerr.Classify, after every token the pool has
// held is redacted from its bytes.
func (c *Client) send(ctx context.Context, method, body, token string, out any) answer {
	actx := ctx
	if c.retry.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(ctx, c.retry.AttemptTimeout, errAttemptTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+"/method/"+method, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	timedOut := func() bool { return ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) }
	resp, err := c.hc.Do(req)
	if err != nil {
		if timedOut() {
			err = fmt.Errorf("%w: %w", errAttemptTimeout, err)
		} else if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = fmt.Errorf("%w: %w", cause, err) // such as ErrClosed
		}
		return answer{err: err}
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if rerr == nil && resp.StatusCode == http.StatusOK && int64(len(data)) <= c.maxBody && out != nil && fastDecode(data, out) {
		return answer{decoded: true, status: resp.StatusCode}
	}
	a := answer{status: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	a.raw, a.err = vkerr.Classify(resp.StatusCode, resp.Header, c.pool.redactBytes(data), rerr, c.maxBody)
	if a.err != nil {
		if timedOut() {
			a.err = fmt.Errorf("%w (attempt timed out)", a.err)
		}
		if ctx.Err() != nil && a.raw == nil {
			// The body read failed because the call's context ended.
			a.err = fmt.Errorf("%w: %w", context.Cause(ctx), a.err)
		}
	}
	return a
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns 0 for anything else, or a time in the past.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseUint(h, 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

var responsePrefix = []byte(`{"response":`)

// fastDecode decodes a success envelope straight into out, in one pass. It
// reports false, having maybe written part of out, for anything that is not
// plainly {"response": ...} alone; the caller then takes the full path.
func fastDecode(data []byte, out any) bool {
	if !bytes.HasPrefix(data, responsePrefix) {
		return false
	}
	env := struct {
		Response      any             `json:"response"`
		Error         json.RawMessage `json:"error"`
		ExecuteErrors json.RawMessage `json:"execute_errors"`
	}{Response: out}
	if err := json.Unmarshal(data, &env); err != nil {
		return false
	}
	return env.Error == nil && env.ExecuteErrors == nil
}
