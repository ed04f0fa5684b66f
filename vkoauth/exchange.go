package vkoauth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// ErrNoSecret is returned by the flows that need Client.ClientSecret when
// it is empty.
var ErrNoSecret = errors.New("vkoauth: Client.ClientSecret is required")

// Exchange trades the code of the authorization code flow for the tokens:
// one user token, or one community token per group of AuthRequest.GroupIDs.
// c.RedirectURI must be the one /authorize was given. A code works once
// and for minutes: VK answers a used or expired one with invalid_grant.
func (c *Client) Exchange(ctx context.Context, code Secret) ([]Token, error) {
	if c.ClientSecret == "" {
		return nil, ErrNoSecret
	}
	if code == "" {
		return nil, errors.New("vkoauth: Exchange: the code is empty")
	}
	q := c.clientParams()
	q.Set("redirect_uri", c.redirectURI())
	q.Set("code", string(code))
	fields, err := c.post(ctx, "/access_token", q)
	if err != nil {
		return nil, err
	}
	return c.tokensOf(fields, vkerr.KindUser)
}

// ClientCredentials gets the app's service token (the client credentials
// flow); it never expires.
func (c *Client) ClientCredentials(ctx context.Context) (Token, error) {
	if c.ClientSecret == "" {
		return Token{}, ErrNoSecret
	}
	q := c.clientParams()
	q.Set("grant_type", "client_credentials")
	fields, err := c.post(ctx, "/access_token", q)
	if err != nil {
		return Token{}, err
	}
	toks, err := c.tokensOf(fields, vkerr.KindService)
	if err != nil {
		return Token{}, err
	}
	return toks[0], nil
}

func (c *Client) clientParams() url.Values {
	q := url.Values{}
	q.Set("client_id", strconv.FormatInt(c.ClientID, 10))
	q.Set("client_secret", string(c.ClientSecret))
	q.Set("v", c.version())
	return q
}

// post sends the form to an endpoint (in the body: secrets stay out of
// URLs and access logs) and decodes the answer's fields. An OAuth error is
// a *vkerr.OAuthError, whatever the HTTP status; a body that is not JSON
// is a *vkerr.HTTPError with the status.
func (c *Client) post(ctx context.Context, path string, form url.Values) (map[string]json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.oauthURL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, errors.New("vkoauth: " + vkerr.RedactString(err.Error()))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, redactedErr{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode, Reason: "reading body: " + vkerr.RedactString(err.Error()), Snippet: vkerr.RedactedSnippet(body)}
	}
	if len(body) > maxBody {
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode, Reason: "body larger than " + strconv.Itoa(maxBody) + " bytes"}
	}
	return decodeAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// decodeAnswer decodes a body of the token endpoints.
func decodeAnswer(status int, contentType string, body []byte) (map[string]json.RawMessage, error) {
	raw, err := vkerr.DecodeOAuth(body)
	if err != nil {
		var he *vkerr.HTTPError
		if errors.As(err, &he) {
			he.StatusCode, he.ContentType = status, contentType
		}
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, &vkerr.FormatError{Reason: "OAuth answer is not an object", Snippet: vkerr.RedactedSnippet(body)}
	}
	if status != http.StatusOK {
		return nil, &vkerr.HTTPError{StatusCode: status, ContentType: contentType, Reason: "OAuth answer without error", Snippet: vkerr.RedactedSnippet(body)}
	}
	return fields, nil
}

// redactedErr is a transport error with its text redacted (a URL in it
// could carry a secret).
type redactedErr struct{ err error }

func (e redactedErr) Error() string { return "vkoauth: " + vkerr.RedactString(e.err.Error()) }
func (e redactedErr) Unwrap() error { return e.err }

// tokensOf reads the tokens of an answer: access_token (a user or service
// token, kind k) or access_token_GROUPID (community tokens), expires_in,
// user_id, email.
func (c *Client) tokensOf(fields map[string]json.RawMessage, k vkerr.TokenKind) ([]Token, error) {
	str := func(name string) (string, error) {
		v, ok := fields[name]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			return s, nil
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return "", &vkerr.FormatError{Reason: "OAuth answer: " + name + " is neither a string nor a number"}
		}
		return n.String(), nil
	}
	vals := url.Values{}
	for name := range fields {
		if name == "access_token" || name == "expires_in" || name == "user_id" || name == "email" || strings.HasPrefix(name, "access_token_") {
			s, err := str(name)
			if err != nil {
				return nil, err
			}
			vals.Set(name, s)
		}
	}
	return tokensOfValues(vals, k, c.now())
}

// tokensOfValues reads tokens from the fields of an answer or a redirect's
// fragment.
func tokensOfValues(vals url.Values, k vkerr.TokenKind, now time.Time) ([]Token, error) {
	secs, err := strconv.ParseInt(vals.Get("expires_in"), 10, 64)
	if vals.Get("expires_in") == "" {
		secs, err = 0, nil
	}
	if err != nil || secs < 0 || secs > 10*365*86400 {
		return nil, &vkerr.FormatError{Reason: "OAuth answer: expires_in is not a number of seconds"}
	}
	life := time.Duration(secs) * time.Second
	var expires time.Time
	if life > 0 {
		expires = now.Add(life)
	}
	if tok := vals.Get("access_token"); tok != "" {
		t := Token{AccessToken: Secret(tok), Kind: k, ExpiresIn: life, Expires: expires, Email: vals.Get("email")}
		if uid := vals.Get("user_id"); uid != "" {
			if t.UserID, err = strconv.ParseInt(uid, 10, 64); err != nil {
				return nil, &vkerr.FormatError{Reason: "OAuth answer: user_id is not a number"}
			}
		}
		return []Token{t}, nil
	}
	var out []Token
	for name := range vals {
		gid, ok := strings.CutPrefix(name, "access_token_")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(gid, 10, 64)
		if err != nil || id <= 0 || vals.Get(name) == "" {
			return nil, &vkerr.FormatError{Reason: "OAuth answer: a community token's field is not access_token_GROUPID"}
		}
		out = append(out, Token{AccessToken: Secret(vals.Get(name)), Kind: vkerr.KindGroup, GroupID: id, ExpiresIn: life, Expires: expires})
	}
	if len(out) == 0 {
		return nil, &vkerr.FormatError{Reason: "OAuth answer without access_token"}
	}
	slices.SortFunc(out, func(a, b Token) int { return cmp.Compare(a.GroupID, b.GroupID) })
	return out, nil
}
