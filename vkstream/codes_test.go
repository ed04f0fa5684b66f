package vkstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// wantCode checks that err is the Streaming error code, with the HTTP
// status 400, and that it decodes into the catalogue's entry.
func wantCode(t *testing.T, what string, err error, code vkerr.StreamingCode) {
	t.Helper()
	var se *vkerr.StreamingError
	if !errors.As(err, &se) {
		t.Fatalf("%s: %v, want Streaming error %d", what, err, code)
	}
	if se.Code != code || se.HTTPStatus != http.StatusBadRequest || !errors.Is(err, code) || !errors.Is(err, code.Category()) {
		t.Fatalf("%s: %+v, want %d with HTTP 400", what, se, code)
	}
	info, ok := vkerr.LookupStreaming(code)
	if !ok || se.Code.Info() != info || info.Unknown {
		t.Fatalf("%s: %d has no catalogue entry", what, code)
	}
	if strings.Contains(err.Error(), "key=") {
		t.Errorf("%s: the key shows in %q", what, err)
	}
}

// raw sends a request the client would never send and decodes the answer
// as the client does.
func raw(t *testing.T, c *Client, method, u, contentType, body string, header map[string]string) error {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_, err = decodeAnswer(resp, b)
	return err
}

// Each Streaming error code is produced by the mock where its condition
// arises and decoded by the client into the catalogue's entry.
func TestEveryCodeFromTheMock(t *testing.T) {
	m := newMock(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c := m.connect(t, hc, Config{})
	defer c.Close()
	ctx := context.Background()
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}
	stream := c.base + "/stream?key=" + c.key

	wantCode(t, "stream without an upgrade", raw(t, c, http.MethodGet, stream, "", "", nil), vkerr.StreamingBadUpgrade)
	wantCode(t, "PUT /rules", raw(t, c, http.MethodPut, c.rulesURL(), "application/json", `{}`, nil), vkerr.StreamingUnsupportedMethod)
	wantCode(t, "POST /stream", raw(t, c, http.MethodPost, stream, "", "", nil), vkerr.StreamingUnsupportedMethod)
	wantCode(t, "POST /rules as text", raw(t, c, http.MethodPost, c.rulesURL(), "text/plain", `{"rule":{"value":"a","tag":"a"}}`, nil), vkerr.StreamingBadContentType)
	_, err := New(c.base, "", Config{HTTPClient: hc}).Rules(ctx)
	wantCode(t, "no key", err, vkerr.StreamingNoKey)
	bad := New(c.base, "0123456789abcdef0123456789abcdef01234567", Config{HTTPClient: hc})
	_, err = bad.Rules(ctx)
	wantCode(t, "a bad key", err, vkerr.StreamingBadKey)
	wantCode(t, "Run with a bad key", bad.Run(ctx), vkerr.StreamingBadKey)
	wantCode(t, "stream_id -1", raw(t, c, http.MethodGet, stream+"&stream_id=-1", "", "", upgrade), vkerr.StreamingBadStreamID)
	first, err := c.dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(c.base, c.key, Config{HTTPClient: hc}).dial(ctx)
	wantCode(t, "a second connection", err, vkerr.StreamingAlreadyConnected)
	first.CloseNow()

	wantCode(t, "invalid JSON", raw(t, c, http.MethodPost, c.rulesURL(), "application/json", `{"rule":`, nil), vkerr.StreamingInvalidJSON)
	if err := c.AddRule(ctx, Rule{Tag: "cats", Value: "кот"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "the same tag", c.AddRule(ctx, Rule{Tag: "cats", Value: "кошка"}), vkerr.StreamingTagExists)
	wantCode(t, "an unknown tag", c.DeleteRule(ctx, "dogs"), vkerr.StreamingTagNotFound)
	wantCode(t, "an empty value", c.AddRule(ctx, Rule{Tag: "empty", Value: "  "}), vkerr.StreamingInvalidRule)
	wantCode(t, "a long tag", c.AddRule(ctx, Rule{Tag: strings.Repeat("t", 257), Value: "a"}), vkerr.StreamingInvalidRule)
	wantCode(t, "a long value", c.AddRule(ctx, Rule{Tag: "long", Value: strings.Repeat("a", 4097)}), vkerr.StreamingInvalidRule)
	wantCode(t, "101 keywords", c.AddRule(ctx, Rule{Tag: "many", Value: strings.Repeat("w ", 101)}), vkerr.StreamingTooManyFilters)
	if err := c.AddRule(ctx, Rule{Tag: "hundred", Value: strings.Repeat("w ", 100)}); err != nil {
		t.Fatalf("100 keywords: %v", err)
	}
	wantCode(t, "an open quote", c.AddRule(ctx, Rule{Tag: "q", Value: `"кот`}), vkerr.StreamingUnbalancedQuotes)
	wantCode(t, "minus-words only", c.AddRule(ctx, Rule{Tag: "minus", Value: "-кот -пёс"}), vkerr.StreamingMinusOnly)
	for i := 2; i < 300; i++ {
		if err := c.AddRule(ctx, Rule{Tag: fmt.Sprint("r", i), Value: "x"}); err != nil {
			t.Fatalf("rule %d: %v", i+1, err)
		}
	}
	wantCode(t, "rule 301", c.AddRule(ctx, Rule{Tag: "r300", Value: "x"}), vkerr.StreamingTooManyRules)

	// A fault rule answers any code on the rules endpoint and the upgrade.
	id := m.fault(t, faultStreaming("streaming.rules", int(vkerr.StreamingInvalidJSON)))
	_, err = c.Rules(ctx)
	wantCode(t, "a fault of streaming.rules", err, vkerr.StreamingInvalidJSON)
	m.unfault(id)
	id = m.fault(t, faultStreaming("streaming.stream", int(vkerr.StreamingBadKey)))
	wantCode(t, "a fault of streaming.stream", New(c.base, c.key, Config{HTTPClient: hc}).Run(ctx), vkerr.StreamingBadKey)
	m.unfault(id)
}
