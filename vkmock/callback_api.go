package vkmock

import (
	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/callback"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The groups.*Callback* methods are the Callback room's
// (internal/callback); the world says who may manage a community.
func init() {
	var names = []string{"groups.addCallbackServer", "groups.editCallbackServer", "groups.deleteCallbackServer",
		"groups.getCallbackServers", "groups.setCallbackSettings", "groups.getCallbackSettings", "groups.getCallbackConfirmationCode"}
	for _, name := range names {
		worldMethods[name] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
			return s.cbMethods[name](q, tok)
		}
	}
}

// callbackMethods binds the Callback room's methods to this server.
func (s *Server) callbackMethods() map[string]core.Handler {
	return s.cb.Methods(callback.MethodDeps{Msgs: s.msgs(), ManagedGroup: s.world.ManagedGroup, APIVersion: DefaultLongPollAPIVersion})
}
