package redisdedup

import (
	"strconv"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/redistest"
)

// testRedisAddr and testClient: a Redis for the test (see redistest).
var (
	testRedisAddr = redistest.Addr
	testClient    = redistest.Client
)

// testPrefix is a key prefix of the test's own, so that runs sharing a
// Redis do not see each other's claims.
func testPrefix(t testing.TB) string {
	return "vkerr-test:" + t.Name() + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}
