// Package vkscope holds VK's access rights by name and bit, for users and
// communities: the one table the client (vkoauth) and the mock (vkmock)
// read.
package vkscope

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Right is one access right: its name in the scope parameter and its bit.
type Right struct {
	Name string
	Bit  uint64
}

// User are the rights of a user token, in the order of the bits
// (dev.vk.com, "Access rights for a user token"; vk-io's userScopes).
var User = []Right{
	{"notify", 1}, {"friends", 2}, {"photos", 4}, {"audio", 8}, {"video", 16},
	{"stories", 64}, {"pages", 128}, {"menu", 256}, {"status", 1024},
	{"notes", 2048}, {"messages", 4096}, {"wall", 8192}, {"ads", 32768},
	{"offline", 65536}, {"docs", 131072}, {"groups", 262144},
	{"notifications", 524288}, {"stats", 1048576}, {"email", 4194304},
	{"market", 134217728}, {"phone", 268435456},
}

// Group are the rights of a community token, in the order of the bits
// (dev.vk.com, "Access rights for a community token").
var Group = []Right{
	{"stories", 1}, {"photos", 4}, {"app_widget", 64}, {"messages", 4096},
	{"docs", 131072}, {"manage", 262144},
}

// ErrUnknown is wrapped by Parse's error for a name the table lacks.
var ErrUnknown = errors.New("unknown scope")

// Names lists the names of the rights in mask, in the order of the bits;
// a bit with no name is left out.
func Names(mask uint64, table []Right) []string {
	out := make([]string, 0, bits.OnesCount64(mask))
	for _, r := range table {
		if mask&r.Bit != 0 {
			out = append(out, r.Name)
		}
	}
	return out
}

// Parse reads a scope as VK's scope parameter takes it: a bit mask
// ("4096") or names separated by commas or spaces ("messages,wall").
func Parse(s string, table []Right) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(s, 10, 63); err == nil {
		return n, nil
	}
	var mask uint64
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		bit, ok := bitOf(strings.ToLower(f), table)
		if !ok {
			if len(f) > 40 {
				f = f[:40] + "…"
			}
			return 0, fmt.Errorf("%w: %q is not one of VK's", ErrUnknown, f)
		}
		mask |= bit
	}
	return mask, nil
}

func bitOf(name string, table []Right) (uint64, bool) {
	for _, r := range table {
		if r.Name == name {
			return r.Bit, true
		}
	}
	return 0, false
}
