package testrun

// A test binary built with -race sleeps atexit_sleep_ms (1 s by default)
// before a clean exit, and a test that lets a child process of its own
// binary (os.Args[0] -test.run=^TestXxxChild$) finish waits that second.
// A race in the child is still reported as it happens, and fails the
// child's test and its exit status; only the wait for goroutines still
// running at the exit goes.
//
//	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$")
//	cmd.Env = testrun.ChildEnv("MY_CHILD=1")

import (
	"os"
	"strings"
)

// NoExitSleep is the race runtime's option that ChildEnv adds to GORACE.
const NoExitSleep = "atexit_sleep_ms=0"

// ChildEnv returns the test's environment with extra added and GORACE
// extended by NoExitSleep, unless GORACE (or extra) sets atexit_sleep_ms
// already.
func ChildEnv(extra ...string) []string {
	env := append(os.Environ(), extra...)
	for i := len(env) - 1; i >= 0; i-- {
		v, ok := strings.CutPrefix(env[i], "GORACE=")
		if !ok {
			continue
		}
		if !strings.Contains(v, "atexit_sleep_ms") {
			env[i] = strings.TrimSpace("GORACE=" + v + " " + NoExitSleep)
		}
		return env
	}
	return append(env, "GORACE="+NoExitSleep)
}
