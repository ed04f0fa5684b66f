package core

import (
	"slices"

	"github.com/vkerr/vkerr"
)

// TokenState is the state of a token.
type TokenState string

// The states a token can be in.
const (
	StateValid       TokenState = "valid"       // works
	StateExpired     TokenState = "expired"     // 5: access_token has expired.
	StateRevoked     TokenState = "revoked"     // 5: invalid session.
	StateBanned      TokenState = "banned"      // 5: user is blocked., with ban_info
	StateDeactivated TokenState = "deactivated" // 3610: User is deactivated
)

// Valid reports whether s is one of the states above.
func (s TokenState) Valid() bool {
	switch s {
	case StateValid, StateExpired, StateRevoked, StateBanned, StateDeactivated:
		return true
	}
	return false
}

// Token is an access token the mock knows.
type Token struct {
	Token   string          `json:"token"`
	Kind    vkerr.TokenKind `json:"kind"`
	UserID  int64           `json:"user_id"`
	GroupID int64           `json:"group_id"`
	AppID   int64           `json:"app_id"`
	Scopes  []string        `json:"scopes,omitempty"`
	State   TokenState      `json:"state"`
	// BanInfo is sent with error 5 when State is banned; a default one is
	// made up when it is nil.
	BanInfo *vkerr.BanInfo `json:"ban_info,omitempty"`
}

// Clone returns a copy of t that shares no memory with it.
func (t Token) Clone() Token {
	t.Scopes = slices.Clone(t.Scopes)
	if t.BanInfo != nil {
		b := *t.BanInfo
		t.BanInfo = &b
	}
	return t
}

// App is an application the mock knows. Tokens belong to an app through
// their AppID.
type App struct {
	ID int64 `json:"id"`
	// Disabled apps answer 2 unless the request has test_mode=1.
	Disabled bool `json:"disabled"`
	// Installs sets the secure.* rate tier (vkerr.SecureRateBudget): under
	// 10 000 → 5 requests a second, up to 100 000 → 8, up to 1 000 000 →
	// 20, more → 35.
	Installs int64 `json:"installs"`
}
