package vkerr

import (
	"fmt"
	"strings"
)

// TokenKind is the kind of an access token, as the schema's
// access_token_type names it. It sets the token's rate budget (see
// RateBudget) and the methods it may call. The client (vkapi) and the mock
// server (vkmock) share this one type.
//
// The zero TokenKind is KindUnknown: a client gives such a token the
// strictest budget, that of a user token.
//
// In JSON and other text a TokenKind is its name: "user", "group",
// "service" (and "unknown" for the zero value).
type TokenKind uint8

// The token kinds of the VK API.
const (
	KindUnknown TokenKind = iota // not known: treated as a user token
	KindUser                     // a user's token: 3 requests/s
	KindGroup                    // a community token: 20 requests/s
	KindService                  // an application's service token: 3 requests/s, secure.* tiers
)

var kindNames = [...]string{KindUnknown: "unknown", KindUser: "user", KindGroup: "group", KindService: "service"}

// String returns the schema's name of the kind: "user", "group", "service",
// or "unknown" (for KindUnknown and values out of range).
func (k TokenKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Valid reports whether k is KindUser, KindGroup or KindService.
func (k TokenKind) Valid() bool { return k >= KindUser && k <= KindService }

// ParseTokenKind returns the kind named s: "user", "group" (or
// "community"), "service" (or "app"), or "unknown"; case and surrounding
// spaces do not matter. Any other s is an error, with KindUnknown.
func ParseTokenKind(s string) (TokenKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "user":
		return KindUser, nil
	case "group", "community":
		return KindGroup, nil
	case "service", "app":
		return KindService, nil
	case "unknown":
		return KindUnknown, nil
	}
	return KindUnknown, fmt.Errorf("vkerr: token kind %q: want user, group or service", s)
}

// MarshalText returns the kind's name (see String). A value out of range
// is an error.
func (k TokenKind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) {
		return nil, fmt.Errorf("vkerr: token kind %d out of range", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText sets k to the kind named text, as ParseTokenKind reads it.
func (k *TokenKind) UnmarshalText(text []byte) error {
	v, err := ParseTokenKind(string(text))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
