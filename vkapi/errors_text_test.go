package vkapi

import (
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// TestErrorTexts pins the words of the client's errors: no position in the
// token pool, no doubled codes, the method once.
func TestErrorTexts(t *testing.T) {
	auth := &vkerr.Error{Code: 5, Message: "User authorization failed: invalid access_token (4)."}
	tests := []struct {
		err  error
		want string
	}{
		{&CallError{Method: "users.get", Attempts: 1, Err: &TokenError{Token: 3, Err: auth}},
			"vkapi: users.get: after 1 attempt: the token was refused; the client no longer uses it: vk: error 5: User authorization failed: invalid access_token (4)."},
		{&CallError{Method: "users.get", Attempts: 4, Err: vkerr.Code(10)},
			"vkapi: users.get: after 4 attempts: vk: error 10: Internal server error"},
		{&noTokensError{last: auth}, "vkapi: no usable token: VK refused every token the client was given (last: vk: error 5: User authorization failed: invalid access_token (4).)"},
	}
	for _, tc := range tests {
		got := tc.err.Error()
		if got != tc.want {
			t.Errorf("Error() =\n %q, want\n %q", got, tc.want)
		}
		if strings.Contains(got, "#") || strings.Contains(got, "pool") {
			t.Errorf("%q names the pool", got)
		}
	}
}
