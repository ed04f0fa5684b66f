package soak

import "testing"

func TestPick(t *testing.T) {
	t.Setenv(Env, "")
	if got := Pick(1, 2); got != 1 {
		t.Errorf("without %s: Pick(1, 2) = %d, want 1", Env, got)
	}
	t.Setenv(Env, "1")
	if got := Pick(1, 2); got != 2 {
		t.Errorf("with %s=1: Pick(1, 2) = %d, want 2", Env, got)
	}
	t.Setenv(Env, "yes")
	if Enabled() {
		t.Errorf("%s=yes enables the soak tests; only 1 does", Env)
	}
}

func TestRequire(t *testing.T) {
	t.Setenv(Env, "")
	ran := false
	t.Run("gated", func(t *testing.T) {
		Require(t)
		ran = true
	})
	if ran {
		t.Error("Require did not skip without " + Env)
	}
	t.Setenv(Env, "1")
	t.Run("enabled", func(t *testing.T) {
		Require(t)
		ran = true
	})
	if !ran {
		t.Error("Require skipped with " + Env + "=1")
	}
}
