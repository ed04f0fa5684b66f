package callbacktest

import (
	"testing"

	"go.uber.org/goleak"
)

// Chaos starts no goroutine of its own; Register's requests and the mock's
// sender end with the test's servers.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
