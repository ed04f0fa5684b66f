package redacttest

import (
	"reflect"
	"testing"
)

// TestTableFixed: the table, and so its race-detector sample, is the same
// on every call; the sample is every 16th case; every case names its
// secret.
func TestTableFixed(t *testing.T) {
	all, again := Table(false), Table(false)
	if !reflect.DeepEqual(all, again) {
		t.Fatal("two calls give two orders")
	}
	sample := Table(true)
	if want := (len(all) + 15) / 16; len(sample) != want {
		t.Fatalf("sample of %d cases, want %d", len(sample), want)
	}
	for i, c := range sample {
		if !reflect.DeepEqual(c, all[16*i]) {
			t.Fatalf("sample[%d] = %s, want %s", i, c.Name, all[16*i].Name)
		}
	}
	for _, c := range all {
		if c.Secret == "" || len(c.Body) == 0 {
			t.Fatalf("%s: no secret or no body", c.Name)
		}
	}
}
