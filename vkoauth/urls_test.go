package vkoauth

import (
	"net/url"
	"strings"
	"testing"
)

func TestAuthorizeURL(t *testing.T) {
	c := &Client{ClientID: 51000001, ClientSecret: "Qw3rTy7UiOp2AsDfGh1J"}
	u, err := url.Parse(c.AuthorizeURL(AuthRequest{Scope: ScopeMessages | ScopeOffline, State: "st", Display: "page", Revoke: true}))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "oauth.vk.com" || u.Path != "/authorize" || q.Get("client_id") != "51000001" || q.Get("redirect_uri") != "https://oauth.vk.com/blank.html" ||
		q.Get("response_type") != "code" || q.Get("scope") != "69632" || q.Get("state") != "st" || q.Get("display") != "page" || q.Get("revoke") != "1" || q.Get("v") != DefaultVersion {
		t.Fatalf("%s", u)
	}
	if strings.Contains(u.String(), string(c.ClientSecret)) {
		t.Fatal("the secret is in the URL")
	}
	u, _ = url.Parse(c.AuthorizeURL(AuthRequest{ResponseType: ResponseToken, GroupIDs: []int64{1, 2}, GroupScope: GroupScopeMessages}))
	if q := u.Query(); q.Get("group_ids") != "1,2" || q.Get("scope") != "4096" || q.Get("response_type") != "token" {
		t.Fatalf("%s", u)
	}
}

func TestScopeNames(t *testing.T) {
	s, err := ParseScope("messages, offline")
	if err != nil || s != ScopeMessages|ScopeOffline || s.String() != "messages,offline" || !s.Has(ScopeOffline) || s.Has(ScopeWall) {
		t.Fatalf("%v %v %q", s, err, s.String())
	}
	g, err := ParseGroupScope("manage,messages")
	if err != nil || g.String() != "messages,manage" {
		t.Fatalf("%v %v", g, err)
	}
	if _, err := ParseScope("manage"); err == nil {
		t.Fatal("a community right parsed as a user right")
	}
}
