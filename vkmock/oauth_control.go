package vkmock

import (
	"errors"
	"net/http"

	"github.com/vkerr/vkerr/vkmock/internal/control"
)

// The control API of the OAuth room:
//
//	GET  /__vkmock/oauth           {"apps", "accounts", "pending"}: the apps with their
//	                               client_secret, the accounts with their password and
//	                               2FA, the captcha keys and 2FA codes waiting
//	POST /__vkmock/oauth/apps      {"id","client_secret","trusted","redirect_uris"}
//	POST /__vkmock/oauth/accounts  {"user_id","login","password","email","two_fa","phone_mask","captcha"}
//	POST /__vkmock/oauth/deny      {"deny": true}: /authorize answers access_denied
//	POST /__vkmock/oauth/approver  {"user_id": N}: the account that approves /authorize
//	POST /__vkmock/oauth/revoke    {"token": "..."}: the token's calls get 5
type (
	oauthDeny struct {
		Deny bool `json:"deny"`
	}
	oauthApprover struct {
		UserID int64 `json:"user_id"`
	}
	oauthRevoke struct {
		Token string `json:"token"`
	}
)

func (s *Server) oauthRoutes() control.Routes {
	return control.Routes{
		"/oauth": {http.MethodGet: control.GetJSON(func() any {
			return map[string]any{"apps": s.OAuth().Apps(), "accounts": s.OAuth().Accounts(), "pending": s.OAuth().Pending()}
		})},
		"/oauth/apps": {http.MethodPost: control.PostJSON(http.StatusOK, func(a OAuthApp) (any, error) { return a, s.OAuth().SetApp(a) })},
		"/oauth/accounts": {http.MethodPost: control.PostJSON(http.StatusOK, func(a OAuthAccount) (any, error) {
			return a, s.OAuth().SetAccount(a)
		})},
		"/oauth/deny": {http.MethodPost: control.PostJSON(http.StatusOK, func(d oauthDeny) (any, error) {
			s.OAuth().SetDeny(d.Deny)
			return d, nil
		})},
		"/oauth/approver": {http.MethodPost: control.PostJSON(http.StatusOK, func(a oauthApprover) (any, error) {
			return a, s.oauthRoom().SetApprover(a.UserID)
		})},
		"/oauth/revoke": {http.MethodPost: control.PostJSON(http.StatusOK, func(rv oauthRevoke) (any, error) {
			if rv.Token == "" {
				return nil, errors.New("vkmock: token is required")
			}
			return map[string]string{"state": string(StateRevoked)}, s.OAuth().Revoke(rv.Token)
		})},
	}
}
