// Package testrun tunes how a test binary runs under go test, for tests
// that wait on real clocks and child processes rather than on the CPU:
// how many of its parallel tests run at once (ParallelAtLeast), and the
// environment of the child processes it starts from its own binary
// (ChildEnv). See docs/testing.md, "What keeps it short".
package testrun
