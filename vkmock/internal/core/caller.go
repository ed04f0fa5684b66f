package core

import "github.com/vkerr/vkerr"

// Caller is the owner id of a token: the user, minus the community, or 0
// for a service token.
func Caller(tok Token) int64 {
	switch tok.Kind {
	case vkerr.KindUser:
		return tok.UserID
	case vkerr.KindGroup:
		return -tok.GroupID
	}
	return 0
}
