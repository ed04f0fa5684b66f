package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// The limits on a request to the OAuth endpoints.
const (
	maxBody   = 64 << 10
	maxParams = 100
)

// The names fault rules match the endpoints by.
const (
	EndpointAuthorize   = "oauth.authorize"
	EndpointAccessToken = "oauth.access_token"
	EndpointToken       = "oauth.token"
)

// IsPath reports whether the Handler serves path.
func IsPath(path string) bool {
	switch path {
	case "/authorize", "/access_token", "/token", "/blank.html":
		return true
	}
	return false
}

// ServeHTTP serves /authorize, /access_token, /token and /blank.html.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/blank.html" {
		// The page the implicit flow lands on: its fragment carries the
		// answer, which never reaches the server.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>OAuth Blank</title></head><body></body></html>\n")
		return
	}
	q, ok := readParams(w, r)
	if !ok {
		return
	}
	var endpoint string
	switch r.URL.Path {
	case "/authorize":
		endpoint = EndpointAuthorize
	case "/access_token":
		endpoint = EndpointAccessToken
	case "/token":
		endpoint = EndpointToken
	default:
		writeError(w, http.StatusNotFound, oauthError{Error: "invalid_request", Description: "unknown OAuth endpoint"})
		return
	}
	if h.cfg.Intercept != nil && h.cfg.Intercept(w, r, endpoint, q) {
		return
	}
	switch endpoint {
	case EndpointAuthorize:
		h.authorize(w, r, q)
	case EndpointAccessToken:
		h.accessToken(w, r, q)
	default:
		h.token(w, r, q)
	}
}

// readParams reads the query and, for a POST, the form body; a body or a
// parameter count past the limits is invalid_request.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, oauthError{Error: "invalid_request", Description: "use GET or POST"})
		return nil, false
	}
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(b) > maxBody {
			writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "request is too large"})
			return nil, false
		}
		if len(b) > 0 {
			if raw != "" {
				raw += "&"
			}
			raw += string(b)
		}
	}
	if strings.Count(raw, "&") >= maxParams {
		writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "too many parameters"})
		return nil, false
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "malformed parameters"})
		return nil, false
	}
	return q, true
}

// oauthError is the error body of the token endpoints, in VK's shape.
type oauthError struct {
	Error          string `json:"error"`
	ErrorType      string `json:"error_type,omitempty"`
	Description    string `json:"error_description,omitempty"`
	CaptchaSID     string `json:"captcha_sid,omitempty"`
	CaptchaImg     string `json:"captcha_img,omitempty"`
	ValidationType string `json:"validation_type,omitempty"`
	ValidationSID  string `json:"validation_sid,omitempty"`
	PhoneMask      string `json:"phone_mask,omitempty"`
	RedirectURI    string `json:"redirect_uri,omitempty"`
}

func writeError(w http.ResponseWriter, status int, e oauthError) {
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// base is the scheme and host the request came to, for the URLs the
// Handler makes.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// The client errors of the token endpoints: VK answers a bad client with
// 401 (VKCOM/vk-php-sdk#96: "Invalid HTTP status 401,
// {"error":"invalid_client","error_description":"client_secret is
// undefined"}").
var (
	errNoClientID     = oauthError{Error: "invalid_client", Description: "client_id is undefined"}
	errBadClientID    = oauthError{Error: "invalid_client", Description: "client_id is incorrect"}
	errNoSecret       = oauthError{Error: "invalid_client", Description: "client_secret is undefined"}
	errBadSecret      = oauthError{Error: "invalid_client", Description: "client_secret is incorrect"}
	errGrantType      = oauthError{Error: "unsupported_grant_type", Description: "grant_type is not supported"}
	errNotTrusted     = oauthError{Error: "unauthorized_client", Description: "direct authorization is not allowed for this application"}
	errCodeInvalid    = oauthError{Error: "invalid_grant", Description: "Code is invalid or expired."}
	errRedirectDiffer = oauthError{Error: "invalid_grant", Description: "redirect_uri is invalid, please pass same redirect_uri, you used in authorize method."}
)

// appOf finds the app of client_id: errNoClientID without one,
// errBadClientID for one that names no known app.
func (h *Handler) appOf(q url.Values) (App, *oauthError) {
	idText := q.Get("client_id")
	if idText == "" {
		return App{}, &errNoClientID
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	h.mu.Lock()
	app, ok := h.apps[id]
	h.mu.Unlock()
	if err != nil || !ok {
		return App{}, &errBadClientID
	}
	return app, nil
}

// client checks client_id and client_secret; it answers and returns false
// on a bad one.
func (h *Handler) client(w http.ResponseWriter, q url.Values) (App, bool) {
	app, e := h.appOf(q)
	if e != nil {
		writeError(w, http.StatusUnauthorized, *e)
		return App{}, false
	}
	secret := q.Get("client_secret")
	switch {
	case secret == "":
		writeError(w, http.StatusUnauthorized, errNoSecret)
		return App{}, false
	case secret != app.Secret:
		writeError(w, http.StatusUnauthorized, errBadSecret)
		return App{}, false
	}
	return app, true
}

// grantClient begins the token endpoints: it checks grant_type against
// the grants the endpoint takes, then the client, and answers a
// client_credentials grant itself (a service token). It answers every
// error too, and returns ok only when a grant is left for the caller.
func (h *Handler) grantClient(w http.ResponseWriter, q url.Values, grants ...string) (app App, grant string, ok bool) {
	grant = q.Get("grant_type")
	if !slices.Contains(grants, grant) {
		writeError(w, http.StatusBadRequest, errGrantType)
		return App{}, "", false
	}
	if app, ok = h.client(w, q); !ok {
		return App{}, "", false
	}
	if grant == "client_credentials" {
		h.clientCredentials(w, app)
		return App{}, "", false
	}
	return app, grant, true
}

// clientCredentials answers grant_type=client_credentials: a service
// token of the app that never expires (VK's docs, "Client Credentials
// Flow": {"access_token", "expires_in": 0}).
func (h *Handler) clientCredentials(w http.ResponseWriter, app App) {
	tok, err := h.cfg.Tokens.Issue(Grant{Kind: vkerr.KindService, AppID: app.ID})
	if err != nil {
		writeError(w, http.StatusInternalServerError, oauthError{Error: "server_error", Description: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 0})
}

// answerTokens issues the tokens of an approval and answers them as JSON:
// a scope that does not parse is 400 invalid_scope, a token store that
// fails is 500 server_error.
func (h *Handler) answerTokens(w http.ResponseWriter, appID int64, user Account, groups []int64, scope string) {
	vals, e := h.issue(appID, user, groups, scope)
	switch {
	case e == nil:
		writeJSON(w, http.StatusOK, answerOf(vals))
	case e.Error == "server_error":
		writeError(w, http.StatusInternalServerError, *e)
	default:
		writeError(w, http.StatusBadRequest, *e)
	}
}
