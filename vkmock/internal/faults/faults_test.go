package faults

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

type params map[string]string

func (p params) Get(k string) (string, bool) { v, ok := p[k]; return v, ok }

func known(code vkerr.Code, glob string) bool { return code == vkerr.Server }

func mustAdd(t *testing.T, s *Set, f Fault) string {
	t.Helper()
	f, err := Validate(f, time.Minute, known)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Add(f)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Validate fills the defaults and refuses what cannot apply, with the
// field named for range errors.
func TestValidate(t *testing.T) {
	f, err := Validate(Fault{Error: &vkerr.Error{Code: vkerr.Server}}, time.Minute, known)
	if err != nil || f.Method != "*" || f.Phase != PhaseBefore {
		t.Fatalf("%+v %v", f, err)
	}
	for _, c := range []struct {
		f    Fault
		want string
	}{
		{Fault{}, "has no effect"},
		{Fault{Method: "[", Effect: "reset"}, "fault method"},
		{Fault{Probability: 2, Effect: "reset"}, "probability"},
		{Fault{LatencyMS: 61_000}, "latency_ms"},
		{Fault{Error: &vkerr.Error{Code: 901}}, "is not global"},
		{Fault{Upload: "docs", Method: "users.get"}, "needs the method upload"},
		{Fault{Effect: "explode"}, "effect"},
	} {
		if _, err := Validate(c.f, time.Minute, known); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.f, err, c.want)
		}
	}
}

// Rules match by method glob, token kind and params; a latency rule does
// not hide the rule after it; Times is never overrun by concurrent
// requests; ids are f1, f2... and Reset restarts them.
func TestSetMatch(t *testing.T) {
	var s Set
	s.Init(1, time.Minute)
	lat := mustAdd(t, &s, Fault{Method: "users.*", LatencyMS: 5})
	errID := mustAdd(t, &s, Fault{Method: "users.get", Token: "group", Params: map[string]string{"user_ids": "1*"}, Times: 3, Error: &vkerr.Error{Code: vkerr.Server}})
	if lat != "f1" || errID != "f2" {
		t.Fatalf("ids %s %s", lat, errID)
	}
	q := &Request{Method: "users.get", HasToken: true, Token: "t", Kind: vkerr.KindGroup, Params: params{"user_ids": "12"}, Global: map[vkerr.Code]bool{vkerr.Server: true}}
	if h := s.MatchAll(&Request{Method: "users.get", Kind: vkerr.KindUser, Params: params{}}, PhaseBefore); h.Answer != nil || len(h.Delays) != 1 || h.IDs() != "f1" {
		t.Fatalf("user request: %+v", h)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := 0
	for range 20 {
		wg.Go(func() {
			if h := s.MatchAll(q, PhaseBefore); h.Answer != nil {
				mu.Lock()
				answered++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if answered != 3 {
		t.Fatalf("Times 3 answered %d times", answered)
	}
	if err := s.Wait(context.Background(), errID, 3); err != nil {
		t.Fatal(err)
	}
	if got := s.List(); len(got) != 2 || got[1].Fired != 3 || got[0].Fired != 21 {
		t.Fatalf("list %+v", got)
	}
	if !s.Remove(lat) || s.Remove(lat) {
		t.Fatal("remove")
	}
	s.Reset()
	if id := mustAdd(t, &s, Fault{Effect: "reset"}); id != "f1" || s.Empty() {
		t.Fatalf("after Reset: %s", id)
	}
}

// Delay draws within the distribution and never past the set's bound.
func TestDelay(t *testing.T) {
	var s Set
	s.Init(1, 50*time.Millisecond)
	for range 100 {
		if d := s.Delay(&Fault{Latency: &Latency{Dist: "uniform", MinMS: 10, MaxMS: 20}}); d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("uniform drew %v", d)
		}
	}
	if d := s.Delay(&Fault{LatencyMS: 10_000}); d != 50*time.Millisecond {
		t.Fatalf("bound: %v", d)
	}
}
