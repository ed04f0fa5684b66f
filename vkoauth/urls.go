package vkoauth

import (
	"net/url"
	"strconv"
	"strings"
)

// Response types of /authorize.
const (
	ResponseCode  = "code"  // the authorization code flow
	ResponseToken = "token" // the implicit flow
)

// AuthRequest is what /authorize is asked. The zero AuthRequest asks for
// a code of a user token with no rights, no state and VK's default page.
type AuthRequest struct {
	// ResponseType is ResponseCode (the default) or ResponseToken.
	ResponseType string
	// Scope is the rights of a user token; GroupScope those of the
	// community tokens when GroupIDs is set.
	Scope      Scope
	GroupIDs   []int64
	GroupScope GroupScope
	// State comes back with the redirect: make it random and check it
	// (Redirect.CheckState), against cross-site request forgery.
	State string
	// Display is page, popup or mobile; empty: VK's default.
	Display string
	// Revoke asks the user to grant the rights again.
	Revoke bool
}

// AuthorizeURL is the page to open in a browser: the user approves there
// and VK redirects to c.RedirectURI with a code (ResponseCode) or with the
// tokens in the fragment (ResponseToken). It carries no secret.
func (c *Client) AuthorizeURL(r AuthRequest) string {
	q := url.Values{}
	q.Set("client_id", strconv.FormatInt(c.ClientID, 10))
	q.Set("redirect_uri", c.redirectURI())
	rt := r.ResponseType
	if rt == "" {
		rt = ResponseCode
	}
	q.Set("response_type", rt)
	if len(r.GroupIDs) > 0 {
		ids := make([]string, len(r.GroupIDs))
		for i, id := range r.GroupIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		q.Set("group_ids", strings.Join(ids, ","))
		q.Set("scope", strconv.FormatUint(uint64(r.GroupScope), 10))
	} else {
		q.Set("scope", strconv.FormatUint(uint64(r.Scope), 10))
	}
	if r.State != "" {
		q.Set("state", r.State)
	}
	if r.Display != "" {
		q.Set("display", r.Display)
	}
	if r.Revoke {
		q.Set("revoke", "1")
	}
	q.Set("v", c.version())
	return c.oauthURL() + "/authorize?" + q.Encode()
}
