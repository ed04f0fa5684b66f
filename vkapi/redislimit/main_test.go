package redislimit

import (
	"os"
	"testing"

	"github.com/vkerr/vkerr/internal/testrun"
)

// TestMain lets the parallel tests, which wait on Redis windows and child
// processes rather than the CPU, run all at once.
func TestMain(m *testing.M) {
	testrun.ParallelAtLeast(8)
	os.Exit(m.Run())
}
