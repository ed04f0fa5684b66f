package vkmock

import (
	"bufio"
	"context"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/oauth"
)

// The OAuth room: the endpoints of oauth.vk.com at the mock's root
// (/authorize, /access_token, /token, /blank.html), served by
// vkmock/internal/oauth, whose tokens are real tokens of the mock: they
// call the API with the rights granted (a method outside them gives 15),
// expire as expires_in says unless offline (5: access_token has expired.),
// and are revoked by RevokeToken or POST /__vkmock/oauth/revoke. Fault
// rules reach the endpoints by the names oauth.authorize,
// oauth.access_token and oauth.token. See docs/oauth.md.

// OAuthApp is an app of the OAuth room, with its client_secret.
type OAuthApp = oauth.App

// OAuthAccount is a test account of the OAuth room.
type OAuthAccount = oauth.Account

// OAuthPending lists the captchas and 2FA codes of direct authorization
// waiting for an answer, with their right answers.
type OAuthPending = oauth.Pending

// The preloaded test accounts: DefaultLogin approves /authorize and logs
// in directly without a second factor; TwoFALogin asks for a code of the
// 2FA app.
const (
	DefaultLogin    = "user@vkmock.test"
	DefaultPassword = "vkmock-password"
	TwoFALogin      = "2fa@vkmock.test"
)

// oauthState is the OAuth room of a Server, made at first use.
type oauthState struct {
	once sync.Once
	h    *oauth.Handler

	mu     sync.Mutex
	issued map[string]time.Time // token → when it expires (zero: never)
}

// oauthRoom returns the Handler, making it on the first call.
func (s *Server) oauthRoom() *oauth.Handler {
	s.oauth.once.Do(func() {
		h, err := oauth.New(oauth.Config{
			Tokens:    oauthTokens{s},
			Clock:     s.now,
			Intercept: s.oauthFault,
			Seed:      s.seed,
			Apps:      []oauth.App{{ID: DefaultAppID, Secret: oauth.DeriveSecret(s.seed, DefaultAppID), Trusted: true}},
			Accounts: []oauth.Account{
				{UserID: DefaultUserID, Login: DefaultLogin, Password: DefaultPassword, Email: DefaultLogin},
				{UserID: DefaultUserID + 1, Login: TwoFALogin, Password: DefaultPassword, TwoFA: oauth.TwoFAApp, PhoneMask: "+7 *** *** ** 01"},
			},
		})
		if err != nil {
			panic(err) // the preloaded apps and accounts are valid
		}
		s.oauth.h = h
	})
	return s.oauth.h
}

// resetOAuth forgets the issued tokens' lifetimes and brings the room
// back to its preloaded apps and accounts.
func (s *Server) resetOAuth() {
	s.oauth.mu.Lock()
	s.oauth.issued = nil
	s.oauth.mu.Unlock()
	_ = s.oauthRoom().Reset() // the preloaded state was valid at New
}

func isOAuthPath(path string) bool { return oauth.IsPath(path) }

// serveOAuth serves the room and adds the request to the request log
// (method oauth.authorize, oauth.access_token or oauth.token; secrets
// masked as for any request), with the status sent and the fault rules
// that fired.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	seen := &oauthSeen{}
	ow := &oauthWriter{ResponseWriter: w, status: http.StatusOK}
	s.oauthRoom().ServeHTTP(ow, r.WithContext(context.WithValue(r.Context(), oauthSeenKey{}, seen)))
	if seen.q != nil {
		if seen.out.status == 0 && seen.out.effect == "" {
			seen.out.status = ow.status
		}
		s.record(start, r, seen.q, seen.out)
	}
}

// oauthSeen carries the request as the fault hook parsed it to
// serveOAuth, for the log.
type oauthSeen struct {
	q   *vkRequest
	out outcome
}

type oauthSeenKey struct{}

// oauthWriter notes the status the room sends; it hijacks for a fault's
// reset.
type oauthWriter struct {
	http.ResponseWriter
	status int
}

func (w *oauthWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *oauthWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *oauthWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// oauthTokens issues the room's tokens in the mock's token store.
type oauthTokens struct{ s *Server }

func (t oauthTokens) Issue(g oauth.Grant) (string, error) {
	s := t.s
	s.mu.Lock()
	tok, err := s.createTokenLocked(Token{Kind: g.Kind, UserID: g.UserID, GroupID: g.GroupID, AppID: g.AppID, Scopes: slices.Clone(g.Scopes)})
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	s.oauth.mu.Lock()
	if s.oauth.issued == nil {
		s.oauth.issued = map[string]time.Time{}
	}
	s.oauth.issued[tok.Token] = g.Expires
	s.oauth.mu.Unlock()
	return tok.Token, nil
}

// SetOAuthApp adds an app to the OAuth room or replaces the one with the
// same ID.
func (ctl OAuthControl) SetApp(a OAuthApp) error { return ctl.s.oauthRoom().SetApp(a) }

// OAuthApps lists the apps of the OAuth room with their client_secret.
func (ctl OAuthControl) Apps() []OAuthApp { return ctl.s.oauthRoom().Apps() }

// SetOAuthAccount adds a test account or replaces the one with the same
// login.
func (ctl OAuthControl) SetAccount(a OAuthAccount) error { return ctl.s.oauthRoom().SetAccount(a) }

// OAuthAccounts lists the test accounts with their passwords.
func (ctl OAuthControl) Accounts() []OAuthAccount { return ctl.s.oauthRoom().Accounts() }

// SetOAuthDeny makes the approving account refuse /authorize
// (access_denied) while on.
func (ctl OAuthControl) SetDeny(on bool) { ctl.s.oauthRoom().SetDeny(on) }

// OAuthPending lists the captchas and 2FA checks of direct authorization
// with their answers.
func (ctl OAuthControl) Pending() OAuthPending { return ctl.s.oauthRoom().Pending() }

// RevokeToken revokes a token: its calls then get 5 (invalid session).
func (ctl OAuthControl) Revoke(token string) error {
	return ctl.s.Tokens().SetState(token, StateRevoked)
}

// oauthTokenError is the error of a call whose token the OAuth room
// issued and which it does not cover: the token has expired (5), or the
// method needs a right the token was not granted (15). Tokens made any
// other way are not checked.
func (s *Server) oauthTokenError(m *apiMethod, tok Token) *vkerr.Error {
	s.oauth.mu.Lock()
	expires, issued := s.oauth.issued[tok.Token]
	s.oauth.mu.Unlock()
	if !issued {
		return nil
	}
	if !expires.IsZero() && !s.now().Before(expires) {
		return s.withSuffix(vkerr.Auth, "access_token has expired.")
	}
	if need := rightOf(m, tok.Kind); need != "" && !slices.Contains(tok.Scopes, need) {
		return s.withSuffix(vkerr.Access, "no access to call this method")
	}
	return nil
}

// rightOf is the access right a method needs from a token of kind k, ""
// for none. VK's docs name the rights by section; the mock checks the
// sections whose every method needs the right (the mock's choice: wall,
// photos, friends and groups also have methods that work without one, so
// they are not checked).
func rightOf(m *apiMethod, k TokenKind) string {
	switch k {
	case TokenUser:
		switch m.Section() {
		case "messages", "ads", "stats", "notifications", "notes", "docs", "market":
			return m.Section()
		}
		if m.Name() == "wall.post" {
			return "wall"
		}
		if m.Name() == "status.set" {
			return "status"
		}
	case TokenGroup:
		switch m.Section() {
		case "messages", "docs", "stories":
			return m.Section()
		}
	}
	return ""
}

// oauthFault applies the fault rules of the endpoint (oauth.token, ...):
// their latency, then an http_status (an HTML page), a reset, or an error
// (answered as OAuth's server_error, HTTP 500, with the error's message).
func (s *Server) oauthFault(w http.ResponseWriter, r *http.Request, endpoint string, params url.Values) bool {
	q := &vkRequest{Name: endpoint, TLS: r.TLS != nil, Host: r.Host}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[k] {
			q.Params = append(q.Params, kv{Key: k, Value: v})
		}
	}
	seen, _ := r.Context().Value(oauthSeenKey{}).(*oauthSeen)
	if seen == nil {
		seen = &oauthSeen{}
	}
	seen.q = q
	hit := s.matchFaults(q, vkerr.KindUnknown, nil, phaseBefore)
	if !hit.Fired() {
		return false
	}
	seen.out.fault = hit.IDs()
	var d time.Duration
	for _, f := range hit.Delays {
		d += s.delay(f)
	}
	if hit.Answer != nil {
		d += s.delay(hit.Answer)
	}
	if d = min(d, s.timeouts.maxFaultLatency()); d > 0 && !core.Sleep(r.Context(), s.run.ctx.Done(), d) {
		seen.out.effect = "canceled"
		core.ResetConn(w)
		return true
	}
	f := hit.Answer
	switch {
	case f == nil:
		return false
	case f.HTTPStatus != 0:
		core.WriteHTML(w, f.HTTPStatus)
	case f.Effect == "reset":
		seen.out.effect = "reset"
		core.ResetConn(w)
	case f.Error != nil:
		msg := f.Error.Message
		if msg == "" {
			msg = s.message(f.Error.Code)
		}
		core.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": msg})
	default:
		return false // truncate: not applied to OAuth answers
	}
	return true
}
