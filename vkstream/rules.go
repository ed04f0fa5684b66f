package vkstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/vkerr/vkerr"
)

// Rule is a rule of the stream: a Value of keywords (quoted for an exact
// phrase, with a minus to exclude) and the Tag that events matching it
// carry.
type Rule struct {
	Value string `json:"value"`
	Tag   string `json:"tag"`
}

// SyncResult says what SyncRules changed.
type SyncResult struct {
	Added, Deleted []Rule
}

// rulesURL is the rules endpoint with the key.
func (c *Client) rulesURL() string { return c.base + "/rules?key=" + url.QueryEscape(c.key) }

// do sends a rules request and decodes the answer.
func (c *Client) do(ctx context.Context, method string, body any) (*vkerr.StreamingMessage, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.rulesURL(), rd)
	if err != nil {
		return nil, c.redact(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.redact(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, c.redact(err)
	}
	return decodeAnswer(resp, b)
}

// decodeAnswer decodes an HTTP answer of the Streaming API: a
// *vkerr.StreamingError with its status, or an *vkerr.HTTPError for a body
// that is not the API's (a proxy's page, a truncated body).
func decodeAnswer(resp *http.Response, b []byte) (*vkerr.StreamingMessage, error) {
	if len(b) > maxAnswerBytes {
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Reason: "answer too large", Snippet: vkerr.RedactedSnippet(b)}
	}
	m, err := vkerr.DecodeStreaming(b)
	var se *vkerr.StreamingError
	switch {
	case errors.As(err, &se):
		se.HTTPStatus = resp.StatusCode
		return nil, se
	case err != nil:
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Reason: "not a Streaming API answer", Snippet: vkerr.RedactedSnippet(b)}
	case m.Code != vkerr.StreamingMessageOK:
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Reason: fmt.Sprintf("code %d on the rules endpoint", m.Code), Snippet: vkerr.RedactedSnippet(b)}
	}
	return m, nil
}

// Rules lists the stream's rules.
func (c *Client) Rules(ctx context.Context) ([]Rule, error) {
	m, err := c.do(ctx, http.MethodGet, nil)
	if err != nil {
		return nil, err
	}
	var rules []Rule
	if m.Rules != nil {
		if err := json.Unmarshal(m.Rules, &rules); err != nil {
			return nil, &vkerr.FormatError{Reason: "rules: " + err.Error(), Snippet: vkerr.RedactedSnippet(m.Rules)}
		}
	}
	return rules, nil
}

// AddRule adds a rule; a tag already there is a *vkerr.StreamingError
// matching vkerr.StreamingTagExists.
func (c *Client) AddRule(ctx context.Context, r Rule) error {
	_, err := c.do(ctx, http.MethodPost, map[string]Rule{"rule": r})
	return err
}

// DeleteRule deletes the rule of tag; a tag not there is a
// *vkerr.StreamingError matching vkerr.StreamingTagNotFound.
func (c *Client) DeleteRule(ctx context.Context, tag string) error {
	_, err := c.do(ctx, http.MethodDelete, map[string]string{"tag": tag})
	return err
}

// SyncRules makes the stream's rules the set want: it deletes the rules
// whose tag is not wanted or whose value differs, then adds the missing
// ones. A 2002 on delete and a 2001 on add count as done (another client
// got there first). Tags of want must be distinct.
func (c *Client) SyncRules(ctx context.Context, want []Rule) (SyncResult, error) {
	var res SyncResult
	wanted := make(map[string]Rule, len(want))
	for _, r := range want {
		if _, dup := wanted[r.Tag]; dup {
			return res, fmt.Errorf("vkstream: tag %q is wanted twice", r.Tag)
		}
		wanted[r.Tag] = r
	}
	have, err := c.Rules(ctx)
	if err != nil {
		return res, err
	}
	kept := map[string]bool{}
	for _, r := range have {
		if w, ok := wanted[r.Tag]; ok && w.Value == r.Value {
			kept[r.Tag] = true
			continue
		}
		if err := c.DeleteRule(ctx, r.Tag); err != nil && !errors.Is(err, vkerr.StreamingTagNotFound) {
			return res, err
		}
		res.Deleted = append(res.Deleted, r)
	}
	for _, r := range want {
		if kept[r.Tag] {
			continue
		}
		if err := c.AddRule(ctx, r); err != nil && !errors.Is(err, vkerr.StreamingTagExists) {
			return res, err
		}
		res.Added = append(res.Added, r)
	}
	return res, nil
}
