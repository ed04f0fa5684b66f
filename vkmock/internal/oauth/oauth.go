// Package oauth is vkmock's OAuth room: the endpoints of oauth.vk.com
// (/authorize, /access_token, /token, /blank.html) with their own state —
// apps with their client_secret, test accounts with login, password and
// 2FA, authorization codes that expire on an injected clock, the captchas
// and 2FA codes of direct authorization. Tokens are issued through the
// Tokens interface, so that they are real tokens of the mock that embeds
// the Handler.
package oauth

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The lifetimes the Handler gives by default.
const (
	// DefaultCodeTTL is the life of an authorization code: one hour, as
	// VK's docs of the authorization code flow say.
	DefaultCodeTTL = time.Hour
	// DefaultTokenTTL is the expires_in of a user token without the
	// offline right: 86400 s, as VK's docs say.
	DefaultTokenTTL = 24 * time.Hour
)

// maxPending bounds each store of the Handler: codes, captchas, 2FA codes.
const maxPending = 10000

// App is an application the OAuth room knows.
type App struct {
	ID int64 `json:"id"`
	// Secret is the client_secret (the app's "secure key").
	Secret string `json:"client_secret"`
	// Trusted apps may use direct authorization (grant_type=password), as
	// VK allows it only to the apps it trusts.
	Trusted bool `json:"trusted"`
	// RedirectURIs are the redirect_uri values /authorize accepts (a value
	// matches an entry equal to it or, for an entry ending in "/", under
	// it). Empty: any http or https URL. The mock's /blank.html is always
	// accepted.
	RedirectURIs []string `json:"redirect_uris,omitempty"`
}

// Validation types of need_validation.
const (
	TwoFASMS = "2fa_sms"
	TwoFAApp = "2fa_app"
)

// Account is a test account: it logs in by direct authorization, and the
// one named by SetApprover approves /authorize.
type Account struct {
	UserID   int64  `json:"user_id"`
	Login    string `json:"login"`
	Password string `json:"password"`
	Email    string `json:"email,omitempty"`
	// TwoFA is "", 2fa_sms or 2fa_app: the account asks for a second
	// factor on direct authorization.
	TwoFA     string `json:"two_fa,omitempty"`
	PhoneMask string `json:"phone_mask,omitempty"`
	// Captcha makes the next direct authorization of the account answer
	// need_captcha; solving that captcha clears it.
	Captcha bool `json:"captcha,omitempty"`
}

// Grant is a token the Handler asks the mock to issue.
type Grant struct {
	Kind    vkerr.TokenKind
	UserID  int64
	GroupID int64
	AppID   int64
	Scopes  []string
	// Expires is when the token stops working; zero: never (offline,
	// community and service tokens).
	Expires time.Time
}

// Tokens issues the tokens of the OAuth room in the mock's token store.
type Tokens interface {
	Issue(g Grant) (token string, err error)
}

// Intercept lets the embedding mock answer a request instead of the
// Handler (its fault rules): endpoint is oauth.authorize,
// oauth.access_token or oauth.token. It reports whether it answered.
type Intercept func(w http.ResponseWriter, r *http.Request, endpoint string, params url.Values) bool

// Config configures a Handler. Tokens is required; a nil Clock is
// time.Now; zero TTLs are the defaults.
type Config struct {
	Tokens    Tokens
	Clock     func() time.Time
	Intercept Intercept
	Seed      int64
	CodeTTL   time.Duration
	TokenTTL  time.Duration
	// Apps and Accounts are the state after New and Reset.
	Apps     []App
	Accounts []Account
}

// Handler serves the OAuth endpoints. It is safe for concurrent use.
type Handler struct {
	cfg Config

	mu       sync.Mutex
	apps     map[int64]App
	accounts []Account
	approver int64 // user id that approves /authorize; 0: the first account
	deny     bool
	codes    map[string]*authCode
	captchas map[string]string      // captcha_sid → key
	otps     map[string]*pendingOTP // login → pending 2FA code
	seq      uint64
}

type authCode struct {
	appID       int64
	redirectURI string
	userID      int64
	groupIDs    []int64
	scope       string
	expires     time.Time
}

type pendingOTP struct {
	sid, code, kind string
}

// New returns a Handler with the apps and accounts of c.
func New(c Config) (*Handler, error) {
	if c.Tokens == nil {
		return nil, errors.New("oauth: Config.Tokens is required")
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	c.CodeTTL = core.PositiveOr(c.CodeTTL, DefaultCodeTTL)
	c.TokenTTL = core.PositiveOr(c.TokenTTL, DefaultTokenTTL)
	h := &Handler{cfg: c}
	if err := h.Reset(); err != nil {
		return nil, err
	}
	return h, nil
}

// Reset goes back to the apps and accounts of the Config and forgets
// codes, captchas, 2FA codes and the switches.
func (h *Handler) Reset() error {
	apps := make(map[int64]App, len(h.cfg.Apps))
	for _, a := range h.cfg.Apps {
		if err := a.check(); err != nil {
			return err
		}
		apps[a.ID] = a.clone()
	}
	var accts []Account
	for _, a := range h.cfg.Accounts {
		if err := a.check(); err != nil {
			return err
		}
		accts = append(accts, a)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.apps, h.accounts = apps, accts
	h.approver, h.deny, h.seq = 0, false, 0
	h.codes = map[string]*authCode{}
	h.captchas = map[string]string{}
	h.otps = map[string]*pendingOTP{}
	return nil
}

func (a App) clone() App {
	a.RedirectURIs = slices.Clone(a.RedirectURIs)
	return a
}

func (a App) check() error {
	if a.ID <= 0 {
		return errors.New("oauth: app id must be positive")
	}
	if a.Secret == "" || strings.ContainsAny(a.Secret, " \t\r\n&#") {
		return fmt.Errorf("oauth: app %d: client_secret must be set, without spaces, '&' or '#'", a.ID)
	}
	return nil
}

func (a Account) check() error {
	if a.UserID <= 0 || a.Login == "" || a.Password == "" {
		return errors.New("oauth: an account needs a positive user_id, a login and a password")
	}
	switch a.TwoFA {
	case "", TwoFASMS, TwoFAApp:
	default:
		return fmt.Errorf("oauth: account %s: two_fa %q: want 2fa_sms, 2fa_app or nothing", a.Login, a.TwoFA)
	}
	return nil
}

// SetApp adds an app or replaces the one with the same ID.
func (h *Handler) SetApp(a App) error {
	if err := a.check(); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.apps[a.ID] = a.clone()
	return nil
}

// Apps lists the apps by ID, with their secrets.
func (h *Handler) Apps() []App {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]App, 0, len(h.apps))
	for _, a := range h.apps {
		out = append(out, a.clone())
	}
	slices.SortFunc(out, func(a, b App) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// SetAccount adds an account or replaces the one with the same login.
func (h *Handler) SetAccount(a Account) error {
	if err := a.check(); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.accounts {
		if h.accounts[i].Login == a.Login {
			h.accounts[i] = a
			return nil
		}
	}
	h.accounts = append(h.accounts, a)
	return nil
}

// Accounts lists the accounts in the order they were added.
func (h *Handler) Accounts() []Account {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.accounts)
}

// SetDeny makes the approving user refuse every /authorize (access_denied)
// while on.
func (h *Handler) SetDeny(on bool) {
	h.mu.Lock()
	h.deny = on
	h.mu.Unlock()
}

// SetApprover names the account (by user id) that approves /authorize; 0
// is the first account.
func (h *Handler) SetApprover(userID int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if userID != 0 && h.accountByIDLocked(userID) == nil {
		return fmt.Errorf("oauth: no account with user_id %d", userID)
	}
	h.approver = userID
	return nil
}

// Pending is what a test reads to answer the challenges of direct
// authorization: the key of each captcha and the code of each 2FA check.
type Pending struct {
	Captchas []PendingCaptcha `json:"captchas"`
	TwoFA    []PendingTwoFA   `json:"two_fa"`
}

// PendingCaptcha is a captcha of direct authorization and its right key.
type PendingCaptcha struct {
	SID string `json:"captcha_sid"`
	Key string `json:"key"`
}

// PendingTwoFA is a 2FA check of direct authorization and its code.
type PendingTwoFA struct {
	Login          string `json:"login"`
	ValidationSID  string `json:"validation_sid"`
	ValidationType string `json:"validation_type"`
	Code           string `json:"code"`
}

// Pending lists the captchas and 2FA checks waiting for an answer.
func (h *Handler) Pending() Pending {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := Pending{Captchas: []PendingCaptcha{}, TwoFA: []PendingTwoFA{}}
	for sid, key := range h.captchas {
		p.Captchas = append(p.Captchas, PendingCaptcha{sid, key})
	}
	for login, o := range h.otps {
		p.TwoFA = append(p.TwoFA, PendingTwoFA{login, o.sid, o.kind, o.code})
	}
	slices.SortFunc(p.Captchas, func(a, b PendingCaptcha) int { return strings.Compare(a.SID, b.SID) })
	slices.SortFunc(p.TwoFA, func(a, b PendingTwoFA) int { return strings.Compare(a.Login, b.Login) })
	return p
}

func (h *Handler) accountByIDLocked(id int64) *Account {
	for i := range h.accounts {
		if h.accounts[i].UserID == id {
			return &h.accounts[i]
		}
	}
	return nil
}

// deriveLocked makes a deterministic value of the seed, a label and the
// Handler's counter (which it advances): n hex digits.
func (h *Handler) deriveLocked(label string, n int) string {
	h.seq++
	sum := digest(h.cfg.Seed, h.seq, label)
	return hex.EncodeToString(sum[:])[:n]
}

// DeriveSecret is the client_secret the mock gives an app of seed and id
// when the configuration names none: 20 characters, like VK's.
func DeriveSecret(seed, appID int64) string {
	sum := digest(seed, uint64(appID), "client_secret")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 20)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(out)
}

// digest is the SHA-256 of a seed, a number and a label: the source of
// every value the Handler derives.
func digest(seed int64, n uint64, label string) [sha256.Size]byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], n)
	return sha256.Sum256(append(b[:], label...))
}

// trimLocked drops entries of a store that reached maxPending, any of
// them, so that it never grows past the bound.
func trimLocked[V any](m map[string]V) {
	for k := range m {
		if len(m) < maxPending {
			return
		}
		delete(m, k)
	}
}
