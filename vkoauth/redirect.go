package vkoauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// Redirect is where /authorize sent the browser: a code (the authorization
// code flow) or tokens (the implicit flow), with the state given.
type Redirect struct {
	Code   Secret
	Tokens []Token
	State  string
}

// ErrStateMismatch is returned by CheckState when the redirect's state is
// not the one sent: the redirect is not the answer to this request.
var ErrStateMismatch = errors.New("vkoauth: the redirect's state does not match the request's")

// ErrNoAnswer is returned by ParseRedirect for a URL with neither a code,
// nor a token, nor an error.
var ErrNoAnswer = errors.New("vkoauth: the redirect carries no code, token or error")

// ParseRedirect reads the URL the browser landed on: its error (in the
// query or the fragment) as a *vkerr.OAuthError, else the code in the
// query, else the tokens in the fragment (access_token with expires_in,
// user_id and email; or access_token_GROUPID for communities). The time of
// now sets the tokens' Expires; zero is time.Now.
func ParseRedirect(raw string, now time.Time) (*Redirect, error) {
	if len(raw) > 64<<10 {
		return nil, errors.New("vkoauth: the redirect URL is longer than 64 KiB")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("vkoauth: the redirect is not a URL")
	}
	if e := vkerr.OAuthRedirectError(u); e != nil {
		return nil, e
	}
	if now.IsZero() {
		now = time.Now()
	}
	q, qerr := url.ParseQuery(u.RawQuery)
	f, ferr := url.ParseQuery(u.Fragment)
	switch {
	case qerr == nil && q.Get("code") != "":
		return &Redirect{Code: Secret(q.Get("code")), State: q.Get("state")}, nil
	case ferr == nil && (f.Get("access_token") != "" || hasGroupToken(f)):
		kind := vkerr.KindUser
		if f.Get("access_token") == "" {
			kind = vkerr.KindGroup
		}
		toks, err := tokensOfValues(f, kind, now)
		if err != nil {
			return nil, err
		}
		return &Redirect{Tokens: toks, State: f.Get("state")}, nil
	}
	return nil, ErrNoAnswer
}

func hasGroupToken(f url.Values) bool {
	for k := range f {
		if strings.HasPrefix(k, "access_token_") {
			return true
		}
	}
	return false
}

// CheckState compares the redirect's state with the one sent, in constant
// time; an empty want is a mismatch (send a state).
func (r *Redirect) CheckState(want string) error {
	if want == "" || subtle.ConstantTimeCompare([]byte(r.State), []byte(want)) != 1 {
		return ErrStateMismatch
	}
	return nil
}

// NewState returns a random state for AuthRequest.State: 24 bytes of
// crypto/rand, URL-safe.
func NewState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
