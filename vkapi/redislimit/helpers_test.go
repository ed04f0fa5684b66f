package redislimit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/loadtest"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// testKeyPrefix is a key prefix of the test's own, so that tests sharing
// the CI Redis never share a budget.
func testKeyPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "vkapi-test:" + hex.EncodeToString(b[:]) + ":"
}

// tokenKey is the Redis key of a token's budget, as the docs promise it.
func tokenKey(prefix, token, suffix string) string {
	sum := sha256.Sum256([]byte(token))
	return prefix + hex.EncodeToString(sum[:16]) + suffix
}

// testLimiter is a Limiter on rdb, closed when the test ends.
func testLimiter(t testing.TB, rdb redis.UniversalClient, opts ...Option) *Limiter {
	t.Helper()
	l := New(rdb, opts...)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// groupClient is a client of the vkmock community token with l as its
// shared limiter.
func groupClient(s *vkmock.Server, l *Limiter, opts ...vkapi.Option) *vkapi.Client {
	opts = append([]vkapi.Option{vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithSharedLimiter(l)}, opts...)
	return vkapi.New(s.Tokens().Of(vkmock.TokenGroup).Token, opts...)
}

const (
	logFallback = "Redis limiter unreachable"
	logBack     = "Redis limiter answers again"
)

func countCode(recs []vkmock.RequestRecord, code vkerr.Code) int {
	n := 0
	for _, r := range recs {
		if r.ErrorCode != nil && *r.ErrorCode == code {
			n++
		}
	}
	return n
}

// runLoad has callers goroutines call method as fast as the client lets
// them for d (see loadtest.Run).
func runLoad(c *vkapi.Client, callers int, d time.Duration, method string, p vkapi.Params) loadtest.Result {
	return loadtest.Run(callers, d, func(ctx context.Context) error { return c.Call(ctx, method, p, nil) })
}
