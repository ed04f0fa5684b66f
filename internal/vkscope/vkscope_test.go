package vkscope

import (
	"errors"
	"slices"
	"testing"
)

func TestParseAndNames(t *testing.T) {
	for _, tc := range []struct {
		in    string
		table []Right
		want  uint64
	}{
		{"", User, 0},
		{"messages,offline", User, 4096 | 65536},
		{"Messages offline", User, 4096 | 65536},
		{"69632", User, 69632},
		{"manage,app_widget", Group, 262144 | 64},
	} {
		got, err := Parse(tc.in, tc.table)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	if _, err := Parse("messages,nonsense", User); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Parse("app_widget", User); !errors.Is(err, ErrUnknown) {
		t.Errorf("a community right in a user scope: %v", err)
	}
	if got := Names(4096|65536|1<<40, User); !slices.Equal(got, []string{"messages", "offline"}) {
		t.Errorf("Names = %q", got)
	}
	for _, table := range [][]Right{User, Group} {
		var all uint64
		for i, r := range table {
			if i > 0 && r.Bit <= table[i-1].Bit || all&r.Bit != 0 {
				t.Fatalf("%s: bits out of order or repeated", r.Name)
			}
			all |= r.Bit
		}
		if got, _ := Parse(joinNames(Names(all, table)), table); got != all {
			t.Errorf("round trip: %d != %d", got, all)
		}
	}
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}
