package testrun

import (
	"os"
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	t.Setenv("GORACE", "")
	os.Unsetenv("GORACE")
	if env := ChildEnv("A=1"); !slices.Contains(env, "A=1") || !slices.Contains(env, "GORACE="+NoExitSleep) {
		t.Errorf("without GORACE: %v", env[len(env)-2:])
	}
	t.Setenv("GORACE", "halt_on_error=1")
	if env := ChildEnv(); !slices.Contains(env, "GORACE=halt_on_error=1 "+NoExitSleep) {
		t.Errorf("with GORACE=halt_on_error=1: %v", env[len(env)-1:])
	}
	t.Setenv("GORACE", "atexit_sleep_ms=50")
	if env := ChildEnv(); !slices.Contains(env, "GORACE=atexit_sleep_ms=50") || slices.Contains(env, "GORACE="+NoExitSleep) {
		t.Errorf("with GORACE=atexit_sleep_ms=50: %v", env[len(env)-1:])
	}
}
