// Package vkoauth gets VK access tokens through oauth.vk.com: the URLs of
// the authorization code and implicit flows (for users and communities),
// Exchange of a code, the parsing of the redirect the browser lands on,
// direct authorization of trusted apps with captcha and 2FA hooks shaped
// like vkapi's, and the client credentials flow for a service token.
//
// Every failure of oauth.vk.com is a *vkerr.OAuthError (errors.As), with
// the catalogue's category and Remedy; a body that is not OAuth's is a
// *vkerr.HTTPError or *vkerr.FormatError. Secrets (client_secret, code,
// password, tokens, validation_sid) are of type Secret, which prints as
// [REDACTED] in %v, JSON and slog, and never appear in an error.
//
// A Token goes straight into a vkapi.Client with its kind known from the
// flow (Token.Client), so the client makes no call to detect it.
package vkoauth

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// DefaultOAuthURL is the root of VK's OAuth endpoints.
const DefaultOAuthURL = "https://oauth.vk.com"

// DefaultVersion is the API version sent with direct authorization.
const DefaultVersion = "5.199"

// maxBody bounds an answer of oauth.vk.com.
const maxBody = 1 << 20

// Secret is a value that must not be shown: it prints, encodes and logs
// as [REDACTED]. string(s) is the value.
type Secret string

// String returns [REDACTED] ("" for an empty Secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return vkerr.Redacted
}

// GoString returns [REDACTED], quoted.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format prints [REDACTED] for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprint(f, strconv.Quote(s.String()))
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalJSON encodes [REDACTED].
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalText encodes [REDACTED].
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue logs [REDACTED].
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Client is a VK app that gets tokens. ClientID is required by every flow;
// ClientSecret by Exchange, Direct and ClientCredentials. The zero values
// of the others: RedirectURI is OAuthURL's /blank.html, OAuthURL is
// DefaultOAuthURL, HTTPClient is http.DefaultClient, Version is
// DefaultVersion, Now is time.Now.
type Client struct {
	ClientID     int64
	ClientSecret Secret
	RedirectURI  string
	OAuthURL     string
	HTTPClient   *http.Client
	Version      string
	Now          func() time.Time
}

func (c *Client) oauthURL() string {
	if c.OAuthURL == "" {
		return DefaultOAuthURL
	}
	return strings.TrimRight(c.OAuthURL, "/")
}

func (c *Client) redirectURI() string {
	if c.RedirectURI == "" {
		return c.oauthURL() + "/blank.html"
	}
	return c.RedirectURI
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

func (c *Client) version() string {
	if c.Version == "" {
		return DefaultVersion
	}
	return c.Version
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
