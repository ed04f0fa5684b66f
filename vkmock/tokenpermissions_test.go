package vkmock

import (
	"encoding/json"
	"testing"

	"github.com/vkerr/vkerr"
)

// TestGroupsGetTokenPermissions: the answer VK gives each token kind, which
// clients use to tell a community token from the others.
func TestGroupsGetTokenPermissions(t *testing.T) {
	s := testServer(t)
	user, group, service := s.Tokens().Of(TokenUser).Token, s.Tokens().Of(TokenGroup).Token, s.Tokens().Of(TokenService).Token
	wantError(t, call(t, s, "groups.getTokenPermissions", vals("v", "5.199", "access_token", user)), vkerr.Access, "Access denied: no access to call this method")
	wantError(t, call(t, s, "groups.getTokenPermissions", vals("v", "5.199", "access_token", service)), vkerr.AppAuth, "Application authorization failed: method is unavailable with service token.")
	a := call(t, s, "groups.getTokenPermissions", vals("v", "5.199", "access_token", group))
	var res struct {
		Mask        int64 `json:"mask"`
		Permissions []struct {
			Name    string `json:"name"`
			Setting int64  `json:"setting"`
		} `json:"permissions"`
	}
	if a.code() != 0 || json.Unmarshal(a.env.Response, &res) != nil {
		t.Fatalf("group token: %s", a.body)
	}
	var sum int64
	names := map[string]bool{}
	for _, p := range res.Permissions {
		sum |= p.Setting
		names[p.Name] = true
	}
	if res.Mask != sum || res.Mask != 1|4|64|4096|131072|262144 || !names["messages"] || !names["manage"] {
		t.Fatalf("group token permissions: %s", a.body)
	}
}
