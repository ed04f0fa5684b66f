package vkoauth_test

import (
	"net/http"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
	"github.com/vkerr/vkerr/vkoauth"
)

// newMock is the one place these tests reach the mock: a server, its
// default app as a vkoauth.Client, and its clock's Advance.
func newMock(t *testing.T) (*vkmock.Server, *vkoauth.Client) {
	t.Helper()
	s := vkmocktest.NewServer(t)
	app := s.OAuth().Apps()[0]
	return s, &vkoauth.Client{
		ClientID:     app.ID,
		ClientSecret: vkoauth.Secret(app.Secret),
		OAuthURL:     s.URL(),
		HTTPClient:   s.HTTPClient(),
		Now:          s.Clock().Now,
	}
}

// authorize opens the URL as a browser would, without following the
// redirect, and returns where it points.
func authorize(t *testing.T, c *vkoauth.Client, u string) string {
	t.Helper()
	hc := *c.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}
