package vkoauth

import (
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
)

// Token is an access token a flow gave, with what the flow says of it.
type Token struct {
	AccessToken Secret
	Kind        vkerr.TokenKind // user, group or service: known from the flow
	UserID      int64           // user tokens
	GroupID     int64           // community tokens
	// ExpiresIn is the life VK gave the token; 0 never expires (offline,
	// community and service tokens).
	ExpiresIn time.Duration
	// Expires is when it stops working; zero: never.
	Expires time.Time
	Email   string // with the email right, when the account has one
}

// Client returns a vkapi.Client of the token, its kind set (no detection
// call); opts come after and may override.
func (t Token) Client(opts ...vkapi.Option) *vkapi.Client {
	return vkapi.New(string(t.AccessToken), append([]vkapi.Option{vkapi.WithTokenKind(t.Kind)}, opts...)...)
}
