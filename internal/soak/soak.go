// Package soak gates the long variants of tests: soak and chaos runs that
// take tens of seconds run only with VKERR_SOAK=1 (CI runs them in a step
// of their own); by default a test runs its short variant, which checks the
// same property on less load.
//
//	n := soak.Pick(1000, 10_000) // events: 1,000 by default, 10,000 under VKERR_SOAK=1
//	soak.Require(t)              // a test that has no short variant
package soak

import (
	"os"
	"testing"
)

// Env is the environment variable that turns the long variants on.
const Env = "VKERR_SOAK"

// Enabled reports whether VKERR_SOAK=1: the long variants run.
func Enabled() bool { return os.Getenv(Env) == "1" }

// Pick returns long under VKERR_SOAK=1 and short otherwise.
func Pick[T any](short, long T) T {
	if Enabled() {
		return long
	}
	return short
}

// Require skips t unless VKERR_SOAK=1, saying how to run it.
func Require(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("a soak test: run it with " + Env + "=1")
	}
}
