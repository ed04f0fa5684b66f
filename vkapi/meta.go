package vkapi

import (
	"sort"

	"github.com/vkerr/vkerr"
)

// TokenKind is the kind of an access token, which sets its rate budget and
// the methods it may call: vkerr.TokenKind, the one type vkapi and vkmock
// share.
//
// The zero TokenKind is KindUnknown: the client gives such a token the
// strictest budget (that of a user token) and lets it call every method.
type TokenKind = vkerr.TokenKind

// Token kinds, as the schema's access_token_type names them.
const (
	KindUnknown = vkerr.KindUnknown
	KindUser    = vkerr.KindUser    // a user token: 3 requests/s
	KindGroup   = vkerr.KindGroup   // a community token: 20 requests/s
	KindService = vkerr.KindService // a service (app) token: 3 requests/s, secure.* tiers
)

// ParseTokenKind returns the kind named s ("user", "group" or "community",
// "service" or "app"); anything else is KindUnknown. vkerr.ParseTokenKind
// also reports the error.
func ParseTokenKind(s string) TokenKind {
	k, _ := vkerr.ParseTokenKind(s)
	return k
}

// kindSet is a set of token kinds, as in the schema's access_token_type.
type kindSet uint8

const (
	kindUser kindSet = 1 << iota
	kindGroup
	kindService
	kindOpen
)

func (s kindSet) allows(k TokenKind) bool {
	switch k {
	case KindUser:
		return s&kindUser != 0
	case KindGroup:
		return s&kindGroup != 0
	case KindService:
		return s&kindService != 0
	}
	return true
}

type methodFlags uint8

const (
	methodRead     methodFlags = 1 << iota // only queries: safe to repeat
	methodRandomID                         // takes random_id (an idempotency key)
	methodGUID                             // takes guid (an idempotency key)
)

// methodMeta is what the schema says about one method (see methods_gen.go).
type methodMeta struct {
	name  string
	kinds kindSet
	flags methodFlags
}

// lookupMethod returns the schema's entry for a method; ok is false for a
// method the schema does not list (such as a stored procedure execute.name).
func lookupMethod(name string) (methodMeta, bool) {
	i := sort.Search(len(methodTable), func(i int) bool { return methodTable[i].name >= name })
	if i < len(methodTable) && methodTable[i].name == name {
		return methodTable[i], true
	}
	return methodMeta{name: name}, false
}

// MethodInfo is what the client knows about a method from the VK API
// schema.
type MethodInfo struct {
	Name string
	// Known is false for methods the schema does not list; the other fields
	// are then zero, and the client treats the method as a write that
	// accepts every token kind.
	Known bool
	// Read reports that the method only queries, so the client may repeat
	// it after a transient failure.
	Read bool
	// IdempotencyKey is the parameter that makes a repeat of the method
	// safe, "random_id" or "guid", or "" when it has none.
	IdempotencyKey string
	// TokenKinds lists the token kinds the method accepts. The schema lists
	// none for a few methods (bugtracker.*), and says "open" for
	// auth.restore, which needs no token; neither shows here.
	TokenKinds []TokenKind
}

// LookupMethod returns what the schema (VK API 5.199) says about a method.
func LookupMethod(name string) MethodInfo {
	m, ok := lookupMethod(name)
	info := MethodInfo{Name: name, Known: ok, Read: m.flags&methodRead != 0}
	switch {
	case m.flags&methodRandomID != 0:
		info.IdempotencyKey = "random_id"
	case m.flags&methodGUID != 0:
		info.IdempotencyKey = "guid"
	}
	for _, k := range []TokenKind{KindUser, KindGroup, KindService} {
		if ok && m.kinds != 0 && m.kinds.allows(k) {
			info.TokenKinds = append(info.TokenKinds, k)
		}
	}
	return info
}

// validMethodName reports whether name can be a VK method name: letters,
// digits, '_' and '.', so that it cannot change the request path.
func validMethodName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return name[0] != '.' && name[len(name)-1] != '.'
}
