package vkmock

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"

	"github.com/vkerr/vkerr"
)

// TokenKind is the kind of an access token: vkerr.TokenKind, the one type
// vkmock and the client share. In JSON it is "user", "group" or "service".
type TokenKind = vkerr.TokenKind

// The token kinds of the VK API.
const (
	TokenUser    = vkerr.KindUser    // a user's token
	TokenGroup   = vkerr.KindGroup   // a community token
	TokenService = vkerr.KindService // an application's service token
)

// TokenState is the state of a token.
type TokenState = core.TokenState

// The states a token can be in.
const (
	StateValid       = core.StateValid       // works
	StateExpired     = core.StateExpired     // 5: access_token has expired.
	StateRevoked     = core.StateRevoked     // 5: invalid session.
	StateBanned      = core.StateBanned      // 5: user is blocked., with ban_info
	StateDeactivated = core.StateDeactivated // 3610: User is deactivated
)

// Token is an access token the mock knows.
type Token = core.Token

// App is an application the mock knows. Tokens belong to an app through
// their AppID.
type App = core.App

// The ids of the preloaded app, user and community.
const (
	DefaultAppID   int64 = 51000001
	DefaultUserID  int64 = 100000001
	DefaultGroupID int64 = 200000001
)

// userScopes are the scopes of the preloaded user token.
var userScopes = []string{"notify", "friends", "photos", "audio", "video", "stories", "pages", "status", "notes", "messages", "wall", "ads", "offline", "docs", "groups", "notifications", "stats", "email", "market"}

var groupScopes = []string{"stories", "photos", "app_widget", "messages", "docs", "manage"}

// makeToken derives a token string from the seed, a label and a counter, so
// that the same seed gives the same tokens.
func makeToken(seed int64, label string, n uint64) string {
	h := sha256.New()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], n)
	h.Write(b[:])
	h.Write([]byte(label))
	sum := h.Sum(nil)
	h.Reset()
	h.Write(sum)
	h.Write([]byte("vkmock"))
	sum = h.Sum(sum)
	return "vk1.a." + base64.RawURLEncoding.EncodeToString(sum)
}

func defaultTokens(seed int64) []Token {
	return []Token{
		{Token: makeToken(seed, "user", 0), Kind: TokenUser, UserID: DefaultUserID, AppID: DefaultAppID, Scopes: slices.Clone(userScopes), State: StateValid},
		{Token: makeToken(seed, "group", 0), Kind: TokenGroup, GroupID: DefaultGroupID, AppID: DefaultAppID, Scopes: slices.Clone(groupScopes), State: StateValid},
		{Token: makeToken(seed, "service", 0), Kind: TokenService, AppID: DefaultAppID, State: StateValid},
	}
}

// normalize checks a token and fills its defaults.
func (s *Server) normalizeToken(t Token, n uint64) (Token, error) {
	if !t.Kind.Valid() {
		return t, fmt.Errorf("vkmock: token kind %q: want user, group or service", t.Kind)
	}
	if t.State == "" {
		t.State = StateValid
	}
	if !t.State.Valid() {
		return t, fmt.Errorf("vkmock: token state %q: want valid, expired, revoked, banned or deactivated", t.State)
	}
	if t.Token == "" {
		t.Token = makeToken(s.seed, "created:"+t.Kind.String(), n)
	}
	if strings.ContainsAny(t.Token, " \t\r\n,&") {
		return t, errors.New("vkmock: a token may not contain spaces, commas or '&'")
	}
	if t.AppID == 0 {
		t.AppID = DefaultAppID
	}
	switch t.Kind {
	case TokenUser:
		if t.UserID == 0 {
			t.UserID = DefaultUserID + int64(n)
		}
	case TokenGroup:
		if t.GroupID == 0 {
			t.GroupID = DefaultGroupID + int64(n)
		}
	}
	return t.Clone(), nil
}

// Of returns the preloaded token of a kind. It returns the zero Token
// for an unknown kind.
func (ctl TokenControl) Of(kind TokenKind) Token {
	s := ctl.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, tk := range s.preloaded {
		if t, ok := s.tokens[tk]; ok && t.Kind == kind {
			return t.Clone()
		}
	}
	return Token{}
}

// All returns every token, preloaded ones first, then in order of
// creation.
func (ctl TokenControl) All() []Token {
	s := ctl.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Token, 0, len(s.tokenOrder))
	for _, tk := range s.tokenOrder {
		out = append(out, s.tokens[tk].Clone())
	}
	return out
}

// Create adds a token. Kind is required; an empty Token string is
// generated, a zero AppID is the default app, a zero UserID or GroupID is
// made up, an empty State is valid. It returns the token as stored.
func (ctl TokenControl) Create(t Token) (Token, error) {
	s := ctl.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTokenLocked(t)
}

func (s *Server) createTokenLocked(t Token) (Token, error) {
	s.tokenSeq++
	t, err := s.normalizeToken(t, s.tokenSeq)
	if err != nil {
		return Token{}, err
	}
	if _, dup := s.tokens[t.Token]; dup {
		return Token{}, errors.New("vkmock: token already exists")
	}
	s.tokens[t.Token] = t
	s.tokenOrder = append(s.tokenOrder, t.Token)
	return t.Clone(), nil
}

// SetState changes the state of a token.
func (ctl TokenControl) SetState(token string, state TokenState) error {
	s := ctl.s
	if !state.Valid() {
		return fmt.Errorf("vkmock: token state %q: want valid, expired, revoked, banned or deactivated", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return errors.New("vkmock: no such token")
	}
	t.State = state
	s.tokens[token] = t
	return nil
}

// SetApp adds an app or replaces the app with the same ID.
func (ctl TokenControl) SetApp(a App) error {
	s := ctl.s
	if a.ID <= 0 {
		return errors.New("vkmock: app id must be positive")
	}
	if a.Installs < 0 {
		return errors.New("vkmock: app installs must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[a.ID] = a
	return nil
}

// Apps returns the apps, by ID.
func (ctl TokenControl) Apps() []App {
	s := ctl.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b App) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// lookupToken returns a token and its app.
func (s *Server) lookupToken(tok string) (Token, App, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[tok]
	if !ok {
		return Token{}, App{}, false
	}
	a, ok := s.apps[t.AppID]
	if !ok {
		a = App{ID: t.AppID}
	}
	return t, a, true
}

// lookupTokenChallenge returns a token, its app and the challenge raised
// on it (the challenges room's).
func (s *Server) lookupTokenChallenge(tok string) (Token, App, vkerr.Code, bool) {
	t, a, ok := s.lookupToken(tok)
	var chal vkerr.Code
	if ok {
		chal = s.chal.Token(tok)
	}
	return t, a, chal, ok
}
