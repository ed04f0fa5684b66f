package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/vkscope"
)

// authorize answers /authorize: the approving account approves at once
// (or refuses, while SetDeny is on) and the browser is redirected to
// redirect_uri with code and state, with the token in the fragment
// (response_type=token), or with error, error_reason and
// error_description.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, q url.Values) {
	app, e := h.appOf(q)
	if e != nil {
		writeError(w, http.StatusUnauthorized, *e)
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		redirect = base(r) + "/blank.html"
	}
	if !redirectAllowed(app, redirect, base(r)) {
		// Shown to the user, not redirected (VK's text: selesnow/rvkstat#21).
		writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "redirect_uri is incorrect, check application redirect uri in the settings page"})
		return
	}
	rt := q.Get("response_type")
	if rt == "" {
		rt = "code"
	}
	state := q.Get("state")
	fragment := rt == "token"
	if rt != "code" && rt != "token" {
		redirectTo(w, r, redirect, false, url.Values{"error": {"unsupported_response_type"}, "error_description": {"response_type must be code or token"}}, state)
		return
	}
	groups, err := parseIDs(q.Get("group_ids"))
	if err != nil {
		redirectTo(w, r, redirect, fragment, url.Values{"error": {"invalid_request"}, "error_description": {"group_ids is invalid"}}, state)
		return
	}
	h.mu.Lock()
	deny := h.deny
	var user Account
	if a := h.approverLocked(); a != nil {
		user = *a
	}
	h.mu.Unlock()
	if deny || user.UserID == 0 {
		// VK's redirect on a refusal (../shared/spec, section 6).
		redirectTo(w, r, redirect, fragment, url.Values{"error": {"access_denied"}, "error_reason": {"user_denied"}, "error_description": {"User denied your request"}}, state)
		return
	}
	scope := q.Get("scope")
	if rt == "token" {
		vals, e := h.issue(app.ID, user, groups, scope)
		if e != nil {
			redirectTo(w, r, redirect, true, url.Values{"error": {e.Error}, "error_description": {e.Description}}, state)
			return
		}
		redirectTo(w, r, redirect, true, vals, state)
		return
	}
	h.mu.Lock()
	trimLocked(h.codes)
	code := h.deriveLocked("code", 18)
	h.codes[code] = &authCode{appID: app.ID, redirectURI: redirect, userID: user.UserID, groupIDs: groups, scope: scope, expires: h.cfg.Clock().Add(h.cfg.CodeTTL)}
	h.mu.Unlock()
	redirectTo(w, r, redirect, false, url.Values{"code": {code}}, state)
}

func (h *Handler) approverLocked() *Account {
	if h.approver != 0 {
		return h.accountByIDLocked(h.approver)
	}
	if len(h.accounts) == 0 {
		return nil
	}
	return &h.accounts[0]
}

// redirectAllowed reports whether app may redirect to u.
func redirectAllowed(app App, u, base string) bool {
	if u == base+"/blank.html" {
		return true
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
		return false
	}
	if len(app.RedirectURIs) == 0 {
		return true
	}
	for _, allowed := range app.RedirectURIs {
		if u == allowed || strings.HasSuffix(allowed, "/") && strings.HasPrefix(u, allowed) {
			return true
		}
	}
	return false
}

// redirectTo answers 302 to target with vals and state in its query or
// fragment.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, fragment bool, vals url.Values, state string) {
	if state != "" {
		vals.Set("state", state)
	}
	if fragment {
		target += "#" + vals.Encode()
	} else if strings.Contains(target, "?") {
		target += "&" + vals.Encode()
	} else {
		target += "?" + vals.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// parseIDs reads group_ids: positive ids separated by commas, at most 100.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	if strings.Count(s, ",") >= 100 {
		return nil, strconv.ErrRange
	}
	var out []int64
	for f := range strings.SplitSeq(s, ",") {
		if len(f) > 12 || strings.Trim(f, "0123456789") != "" {
			return nil, strconv.ErrSyntax
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		if n <= 0 {
			return nil, strconv.ErrRange
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// The user rights the OAuth room reads itself.
const (
	rightOffline = 65536
	rightEmail   = 4194304
)

// issue makes the tokens of an approval: one user token, or one community
// token per group (access_token_GROUPID, expires_in 0). It returns the
// fields of the answer.
func (h *Handler) issue(appID int64, user Account, groups []int64, scope string) (url.Values, *oauthError) {
	vals := url.Values{}
	if len(groups) > 0 {
		gs, err := vkscope.Parse(scope, vkscope.Group)
		if err != nil {
			return nil, &oauthError{Error: "invalid_scope", Description: "scope is invalid"}
		}
		for _, g := range groups {
			tok, err := h.cfg.Tokens.Issue(Grant{Kind: vkerr.KindGroup, GroupID: g, AppID: appID, Scopes: vkscope.Names(gs, vkscope.Group)})
			if err != nil {
				return nil, &oauthError{Error: "server_error", Description: err.Error()}
			}
			vals.Set("access_token_"+strconv.FormatInt(g, 10), tok)
		}
		vals.Set("expires_in", "0")
		return vals, nil
	}
	us, err := vkscope.Parse(scope, vkscope.User)
	if err != nil {
		return nil, &oauthError{Error: "invalid_scope", Description: "scope is invalid"}
	}
	g := Grant{Kind: vkerr.KindUser, UserID: user.UserID, AppID: appID, Scopes: vkscope.Names(us, vkscope.User)}
	expiresIn := int64(0)
	if us&rightOffline == 0 {
		g.Expires = h.cfg.Clock().Add(h.cfg.TokenTTL)
		expiresIn = int64(h.cfg.TokenTTL / time.Second)
	}
	tok, err := h.cfg.Tokens.Issue(g)
	if err != nil {
		return nil, &oauthError{Error: "server_error", Description: err.Error()}
	}
	vals.Set("access_token", tok)
	vals.Set("expires_in", strconv.FormatInt(expiresIn, 10))
	vals.Set("user_id", strconv.FormatInt(user.UserID, 10))
	if us&rightEmail != 0 && user.Email != "" {
		vals.Set("email", user.Email)
	}
	return vals, nil
}

// accessToken answers /access_token: a code for its tokens, or
// grant_type=client_credentials for a service token.
func (h *Handler) accessToken(w http.ResponseWriter, _ *http.Request, q url.Values) {
	// No grant_type is authorization_code.
	app, _, ok := h.grantClient(w, q, "", "authorization_code", "client_credentials")
	if !ok {
		return
	}
	code := q.Get("code")
	if code == "" {
		writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "code is undefined"})
		return
	}
	h.mu.Lock()
	c, found := h.codes[code]
	now := h.cfg.Clock()
	valid := found && c.appID == app.ID && now.Before(c.expires)
	redirectOK := valid && c.redirectURI == q.Get("redirect_uri")
	var user Account
	if redirectOK {
		// A code works once.
		delete(h.codes, code)
		if a := h.accountByIDLocked(c.userID); a != nil {
			user = *a
		}
	}
	h.mu.Unlock()
	switch {
	case !valid:
		writeError(w, http.StatusBadRequest, errCodeInvalid)
		return
	case !redirectOK:
		writeError(w, http.StatusBadRequest, errRedirectDiffer)
		return
	case user.UserID == 0:
		writeError(w, http.StatusBadRequest, errCodeInvalid) // the account was removed
		return
	}
	h.answerTokens(w, app.ID, user, c.groupIDs, c.scope)
}

// answerOf turns the fields of an approval into the JSON answer: numbers
// as numbers.
func answerOf(vals url.Values) map[string]any {
	out := make(map[string]any, len(vals))
	for k := range vals {
		v := vals.Get(k)
		if k == "expires_in" || k == "user_id" {
			n, _ := strconv.ParseInt(v, 10, 64)
			out[k] = n
			continue
		}
		out[k] = v
	}
	return out
}
