package api

import (
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// newMock is the one place these tests reach vkmock's constructor: a mock
// on httptest without rate limits, closed when the test ends.
func newMock(t testing.TB) *vkmock.Server {
	t.Helper()
	return vkmock.NewServer(t, vkmock.WithRateLimits(false))
}

// mockAPI returns the typed API over a client of the mock with a token of
// kind, without the client's limiter (the tests make hundreds of calls)
// and without retries (a failure must show).
func mockAPI(t testing.TB, s *vkmock.Server, kind vkmock.TokenKind, opts ...vkapi.Option) (*API, *vkapi.Client) {
	t.Helper()
	opts = append([]vkapi.Option{vkapi.WithBaseURL(s.URL()), vkapi.WithHTTPClient(s.HTTPClient()), vkapi.WithTokenKind(kind),
		vkapi.WithLimit(vkapi.Limit{Off: true}), vkapi.WithRetry(vkapi.RetryPolicy{MaxAttempts: 1})}, opts...)
	c := vkapi.New(s.Token(kind).Token, opts...)
	t.Cleanup(func() { _ = c.Close() })
	return New(c), c
}
