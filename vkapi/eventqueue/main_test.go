package eventqueue

import (
	"os"
	"testing"

	"github.com/vkerr/vkerr/internal/testrun"
)

// TestMain lets the parallel tests, which wait on leases, read blocks and
// child processes rather than the CPU, run all at once. The tests that
// check for leaked goroutines (noLeaks) are not parallel: they run
// before the others start.
func TestMain(m *testing.M) {
	testrun.ParallelAtLeast(8)
	os.Exit(m.Run())
}
