package vkmock

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRequestsOfAndParam(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	tok := s.Tokens().Of(TokenUser).Token
	for _, m := range []string{"users.get", "wall.get", "users.get"} {
		form := url.Values{"access_token": {tok}, "v": {"5.199"}, "user_ids": {"1"}, "owner_id": {"1"}}
		resp, err := http.PostForm(s.URL()+"/method/"+m, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := len(s.Requests().Of("")); n != 3 {
		t.Fatalf("every request: %d, want 3", n)
	}
	users := s.Requests().Of("users.get")
	if len(users) != 2 || users[0].Method != "users.get" || users[1].Method != "users.get" {
		t.Fatalf("users.get: %+v", users)
	}
	if v := users[0].Param("user_ids"); v != "1" {
		t.Errorf("user_ids %q, want 1", v)
	}
	if v := users[0].Param("access_token"); v != "" {
		t.Errorf("the token is in the log: %q", v)
	}
	if v := users[0].Param("missing"); v != "" {
		t.Errorf("missing parameter %q", v)
	}
	if len(s.Requests().All()) != 3 {
		t.Error("RequestsOf changed the log")
	}
}
