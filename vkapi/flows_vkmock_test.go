package vkapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// Tests of the hooks and cooldowns against vkmock's real flows: captchas
// whose key is in the picture, the validation page that issues a new token,
// confirmation, flood and quota rules counted on the mock's clock.

// flowServer is a mock for the flow tests: its rate limits are off (the
// limiter has tests of its own) so that the flows run at full speed.
func flowServer(t *testing.T) *vkmock.Server {
	return vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
}

// flowClient is a client of s with a short limiter window and fast retries.
func flowClient(s *vkmock.Server, tok string, kind TokenKind, opts ...Option) *Client {
	base := []Option{WithBaseURL(s.URL()), WithTokenKind(kind), WithRetry(fastRetry), WithLimit(Limit{Per: 20 * time.Millisecond})}
	return New(tok, append(base, opts...)...)
}

func setChallenges(t *testing.T, s *vkmock.Server, c vkmock.Challenges) {
	t.Helper()
	if err := s.Challenges().Set(c); err != nil {
		t.Fatal(err)
	}
}

// getBody GETs u with the mock's HTTP client and checks the status and the
// content type.
func getBody(ctx context.Context, s *vkmock.Server, u, wantType string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
		return nil, fmt.Errorf("GET %s: %s, %s", u, resp.Status, resp.Header.Get("Content-Type"))
	}
	return b, nil
}

// postsWith counts the posts of the world whose text is text.
func postsWith(s *vkmock.Server, text string) int {
	n := 0
	for _, p := range s.World().Snapshot().Posts {
		if p.Text == text {
			n++
		}
	}
	return n
}
