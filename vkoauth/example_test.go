package vkoauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkoauth"
)

// Direct authorization against vkmock's OAuth room, with a 2FA code.
func ExampleClient_Direct() {
	mock := vkmock.MustNew()
	defer mock.Close()
	srv := httptest.NewServer(mock)
	defer srv.Close()
	app := mock.OAuth().Apps()[0]
	c := &vkoauth.Client{ClientID: app.ID, ClientSecret: vkoauth.Secret(app.Secret), OAuthURL: srv.URL}
	tok, err := c.Direct(context.Background(), vkoauth.DirectRequest{
		Username: vkmock.TwoFALogin, Password: vkmock.DefaultPassword, Scope: vkoauth.ScopeMessages,
		TwoFactor: vkoauth.CodeSolverFunc(func(_ context.Context, t *vkoauth.TwoFactor) (string, error) {
			fmt.Println("code asked:", t.Type)
			return mock.OAuth().Pending().TwoFA[0].Code, nil // a person would type it
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Kind, tok.UserID, tok.ExpiresIn, tok.AccessToken)
	// Output:
	// code asked: 2fa_app
	// user 100000002 24h0m0s [REDACTED]
}
