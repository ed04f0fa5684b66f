package vkmock

import (
	"encoding/json"
	"slices"

	"github.com/vkerr/vkerr"
)

// groups.getTokenPermissions is the cheapest way to tell a community token
// from the others, and clients use it so (vkapi detects a token's kind with
// it). VK answers it as follows, and so does the mock:
//   - a community token: {"mask": M, "permissions": [{"name", "setting"}]},
//     one entry per access right of the token, in the order of the bits;
//   - a user token: error 15, "Access denied: no access to call this method"
//     (the schema lists the method for group tokens only);
//   - a service token: error 28, "Application authorization failed: method
//     is unavailable with service token.".
//
// The kind check of the request pipeline gives the errors; this file answers
// the community token.
func init() { worldMethods["groups.getTokenPermissions"] = (*Server).groupsGetTokenPermissions }

// groupScopeBits are the access rights of community tokens, by bit.
var groupScopeBits = []struct {
	name string
	bit  int64
}{
	{"stories", 1}, {"photos", 4}, {"app_widget", 64}, {"messages", 4096},
	{"docs", 131072}, {"manage", 262144},
}

func (s *Server) groupsGetTokenPermissions(_ *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	type setting struct {
		Name    string `json:"name"`
		Setting int64  `json:"setting"`
	}
	res := struct {
		Mask        int64     `json:"mask"`
		Permissions []setting `json:"permissions"`
	}{Permissions: []setting{}}
	for _, b := range groupScopeBits {
		if slices.Contains(tok.Scopes, b.name) {
			res.Mask |= b.bit
			res.Permissions = append(res.Permissions, setting{b.name, b.bit})
		}
	}
	b, _ := json.Marshal(res) // plain structs: cannot fail
	return b, nil
}
