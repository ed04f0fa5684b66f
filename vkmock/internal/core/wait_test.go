package core

import "testing"

func TestWait(t *testing.T) {
	for v, want := range map[string]int{"": DefaultWait, "x": DefaultWait, "-1": DefaultWait, "0": 0, "30": 30, "90": 90, "91": MaxWait, "99999999999999999999": DefaultWait} {
		if got := Wait(v); got != want {
			t.Errorf("Wait(%q) = %d, want %d", v, got, want)
		}
	}
}
