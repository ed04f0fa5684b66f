package vkoauth

import (
	"errors"
	"math/bits"
	"strconv"
	"strings"
)

// Scope is a set of access rights of a user token, as VK's bit mask. The
// zero Scope asks for no right: the token can call only the methods that
// need none (users.get, for one).
type Scope uint64

// The access rights of a user token (dev.vk.com, "Access rights for a user
// token"; the same bits as vk-io's userScopes).
const (
	ScopeNotify        Scope = 1
	ScopeFriends       Scope = 2
	ScopePhotos        Scope = 4
	ScopeAudio         Scope = 8
	ScopeVideo         Scope = 16
	ScopeStories       Scope = 64
	ScopePages         Scope = 128
	ScopeMenu          Scope = 256
	ScopeStatus        Scope = 1024
	ScopeNotes         Scope = 2048
	ScopeMessages      Scope = 4096
	ScopeWall          Scope = 8192
	ScopeAds           Scope = 32768
	ScopeOffline       Scope = 65536
	ScopeDocs          Scope = 131072
	ScopeGroups        Scope = 262144
	ScopeNotifications Scope = 524288
	ScopeStats         Scope = 1048576
	ScopeEmail         Scope = 4194304
	ScopeMarket        Scope = 134217728
	ScopePhone         Scope = 268435456
)

// GroupScope is a set of access rights of a community token. The zero
// GroupScope asks for no right.
type GroupScope uint64

// The access rights of a community token (dev.vk.com, "Access rights for a
// community token").
const (
	GroupScopeStories   GroupScope = 1
	GroupScopePhotos    GroupScope = 4
	GroupScopeAppWidget GroupScope = 64
	GroupScopeMessages  GroupScope = 4096
	GroupScopeDocs      GroupScope = 131072
	GroupScopeManage    GroupScope = 262144
)

type scopeName struct {
	name string
	bit  uint64
}

// userScopeNames and groupScopeNames are in the order of the bits.
var userScopeNames = []scopeName{
	{"notify", 1}, {"friends", 2}, {"photos", 4}, {"audio", 8}, {"video", 16},
	{"stories", 64}, {"pages", 128}, {"menu", 256}, {"status", 1024},
	{"notes", 2048}, {"messages", 4096}, {"wall", 8192}, {"ads", 32768},
	{"offline", 65536}, {"docs", 131072}, {"groups", 262144},
	{"notifications", 524288}, {"stats", 1048576}, {"email", 4194304},
	{"market", 134217728}, {"phone", 268435456},
}

var groupScopeNames = []scopeName{
	{"stories", 1}, {"photos", 4}, {"app_widget", 64}, {"messages", 4096},
	{"docs", 131072}, {"manage", 262144},
}

// ErrUnknownScope is returned by the parsers for a name VK does not know.
var ErrUnknownScope = errors.New("vkoauth: unknown scope")

// Names lists the names of the rights in s, in the order of the bits; a
// bit with no name is left out.
func (s Scope) Names() []string { return names(uint64(s), userScopeNames) }

// String is the names joined by commas, as the scope parameter takes them.
func (s Scope) String() string { return strings.Join(s.Names(), ",") }

// Names lists the names of the rights in s, in the order of the bits.
func (s GroupScope) Names() []string { return names(uint64(s), groupScopeNames) }

// String is the names joined by commas.
func (s GroupScope) String() string { return strings.Join(s.Names(), ",") }

// Has reports whether s holds every right of t.
func (s Scope) Has(t Scope) bool { return s&t == t }

// Has reports whether s holds every right of t.
func (s GroupScope) Has(t GroupScope) bool { return s&t == t }

func names(mask uint64, table []scopeName) []string {
	out := make([]string, 0, bits.OnesCount64(mask))
	for _, n := range table {
		if mask&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// ParseScope reads a user scope as VK's scope parameter takes it: a bit
// mask ("4096") or names separated by commas or spaces ("messages,wall").
// An unknown name is an error wrapping ErrUnknownScope.
func ParseScope(s string) (Scope, error) {
	m, err := parseScope(s, userScopeNames)
	return Scope(m), err
}

// ParseGroupScope reads a community scope, as ParseScope does.
func ParseGroupScope(s string) (GroupScope, error) {
	m, err := parseScope(s, groupScopeNames)
	return GroupScope(m), err
}

func parseScope(s string, table []scopeName) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(s, 10, 63); err == nil {
		return n, nil
	}
	var mask uint64
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		bit, ok := scopeBit(strings.ToLower(f), table)
		if !ok {
			return 0, errors.Join(ErrUnknownScope, errors.New("vkoauth: scope "+strconv.Quote(trimName(f))+" is not one of VK's"))
		}
		mask |= bit
	}
	return mask, nil
}

func scopeBit(name string, table []scopeName) (uint64, bool) {
	for _, n := range table {
		if n.name == name {
			return n.bit, true
		}
	}
	return 0, false
}

// trimName bounds a name quoted in an error.
func trimName(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
