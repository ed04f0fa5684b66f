package api

import (
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// newMock is the one place these tests reach vkmock's constructor: a mock
// on httptest without rate limits, closed when the test ends.
func newMock(t testing.TB) *vkmock.Server {
	t.Helper()
	return vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
}

// mockAPI returns the typed API over a client of the mock with a token of
// kind, without the client's limiter (the tests make hundreds of calls)
// and without retries (a failure must show).
func mockAPI(t testing.TB, s *vkmock.Server, kind vkmock.TokenKind, opts ...vkapi.Option) (*API, *vkapi.Client) {
	t.Helper()
	opts = append([]vkapi.Option{vkapi.WithBaseURL(s.URL()), vkapi.WithHTTPClient(s.HTTPClient()), vkapi.WithTokenKind(kind),
		vkapi.WithLimit(vkapi.Limit{Off: true}), vkapi.WithRetry(vkapi.RetryPolicy{MaxAttempts: 1})}, opts...)
	c := vkapi.New(s.Tokens().Of(kind).Token, opts...)
	t.Cleanup(func() { _ = c.Close() })
	return New(c), c
}

// seedPosts puts n posts on owner's wall and returns their ids.
func seedPosts(t testing.TB, s *vkmock.Server, owner int64, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		id, err := s.World().AddPost(vkmock.Post{OwnerID: owner, FromID: owner, Text: "post"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// failFrom makes the mock answer method with error code whenever the
// parameter param has the value value.
func failFrom(t testing.TB, s *vkmock.Server, method, param, value string, code vkerr.Code) {
	t.Helper()
	if _, err := s.Faults().Add(vkmock.Fault{Method: method, Params: map[string]string{param: value}, Error: &vkerr.Error{Code: code}}); err != nil {
		t.Fatal(err)
	}
}
