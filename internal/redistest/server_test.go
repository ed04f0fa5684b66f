package redistest

import (
	"testing"
)

// TestServerKillStart: a killed server refuses, a started one answers on
// the same address, and with an append-only file it keeps what it
// acknowledged across the kill.
func TestServerKillStart(t *testing.T) {
	s := StartServer(t, "--dir", t.TempDir(), "--appendonly", "yes", "--appendfsync", "always")
	rdb := Client(t, s.Addr)
	if err := rdb.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := ping(s.Addr, 0); err == nil {
		t.Fatal("a killed server answers")
	}
	s.Kill() // a second Kill does nothing
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(t.Context(), "k").Result(); err != nil || v != "v" {
		t.Fatalf("after the restart: %q, %v", v, err)
	}
}

// TestServerSavesNothing: without arguments the server keeps no file, so
// a restart starts empty.
func TestServerSavesNothing(t *testing.T) {
	s := StartServer(t)
	rdb := Client(t, s.Addr)
	if err := rdb.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(t.Context(), "k").Result(); err != nil || n != 0 {
		t.Fatalf("after the restart: exists %d, %v", n, err)
	}
}
