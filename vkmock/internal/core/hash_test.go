package core

import "testing"

func TestHashString(t *testing.T) {
	// The separator keeps the split between strings in the hash.
	if HashString(HashString(HashStart, "ab"), "c") == HashString(HashString(HashStart, "a"), "bc") {
		t.Fatal(`("ab","c") and ("a","bc") hash alike`)
	}
	if HashString(HashStart, "") == HashStart {
		t.Fatal("the empty string does not move the hash")
	}
	// FNV-1a of "a" then the separator 0xff (computed apart): fixed, since
	// synthesised answers depend on it.
	if got, want := HashString(HashStart, "a"), uint64(0x089bc907b544c769); got != want {
		t.Fatalf("HashString(start, a) = %#x, want %#x", got, want)
	}
}
