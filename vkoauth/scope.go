package vkoauth

import (
	"strings"

	"github.com/vkerr/vkerr/internal/vkscope"
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

// ErrUnknownScope is matched (errors.Is) by the parsers' error for a name
// VK does not know.
var ErrUnknownScope = vkscope.ErrUnknown

// Names lists the names of the rights in s, in the order of the bits; a
// bit with no name is left out.
func (s Scope) Names() []string { return vkscope.Names(uint64(s), vkscope.User) }

// String is the names joined by commas, as the scope parameter takes them.
func (s Scope) String() string { return strings.Join(s.Names(), ",") }

// Names lists the names of the rights in s, in the order of the bits.
func (s GroupScope) Names() []string { return vkscope.Names(uint64(s), vkscope.Group) }

// String is the names joined by commas.
func (s GroupScope) String() string { return strings.Join(s.Names(), ",") }

// Has reports whether s holds every right of t.
func (s Scope) Has(t Scope) bool { return s&t == t }

// Has reports whether s holds every right of t.
func (s GroupScope) Has(t GroupScope) bool { return s&t == t }

// ParseScope reads a user scope as VK's scope parameter takes it: a bit
// mask ("4096") or names separated by commas or spaces ("messages,wall").
// An unknown name is an error wrapping ErrUnknownScope.
func ParseScope(s string) (Scope, error) {
	m, err := vkscope.Parse(s, vkscope.User)
	return Scope(m), err
}

// ParseGroupScope reads a community scope, as ParseScope does.
func ParseGroupScope(s string) (GroupScope, error) {
	m, err := vkscope.Parse(s, vkscope.Group)
	return GroupScope(m), err
}
