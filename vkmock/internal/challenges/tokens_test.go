package challenges

import (
	"net/url"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestTokenChallenges(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	if err := r.SetToken("nobody", vkerr.AuthValidation); err == nil {
		t.Fatal("a challenge on an unknown token")
	}
	if err := r.SetToken("t", vkerr.Flood); err == nil {
		t.Fatal("error 9 accepted as a token challenge")
	}
	for _, c := range Codes() {
		if err := r.SetToken("t", c); err != nil || r.Token("t") != c {
			t.Fatalf("%d: %v", c, err)
		}
		e := r.TokenError(c, call("users.get", "t"))
		withPage := c == vkerr.AuthValidation || (c >= vkerr.Recaptcha && c <= vkerr.EmailConfirmationNeed)
		if e.Code != c || (e.RedirectURI != "") != withPage {
			t.Errorf("%d: %+v", c, e)
		}
	}
	Codes()[0] = 0
	if Codes()[0] != vkerr.AuthValidation {
		t.Fatal("Codes shares its slice")
	}
	if err := r.SetToken("t", 0); err != nil || r.Token("t") != 0 {
		t.Fatalf("clear: %v", err)
	}
	if err := r.SetToken("t", vkerr.UserDeactivated); err != nil {
		t.Fatal(err)
	}
	r.Reset()
	if r.Token("t") != 0 {
		t.Fatal("Reset kept a token challenge")
	}
}

// TestCompleteValidation: 17 issues a new token of the same user and
// leaves the old one challenged; 3301 clears the challenge; a page
// completes once.
func TestCompleteValidation(t *testing.T) {
	r, _, toks := newRoom(t, 1)
	if err := r.SetToken("t", vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	e := r.TokenError(vkerr.AuthValidation, call("users.get", "t"))
	if !strings.HasSuffix(e.Message, ": please open redirect_uri in browser") {
		t.Fatalf("message %q", e.Message)
	}
	nt, err := r.CompleteValidation(e.RedirectURI)
	if err != nil || nt != "t-new" || !toks.Exists("t-new") || r.Token("t") != vkerr.AuthValidation {
		t.Fatalf("17: %q %v", nt, err)
	}
	if _, err := r.CompleteValidation(e.RedirectURI); err == nil {
		t.Fatal("a validation completed twice")
	}
	if err := r.SetToken("u", vkerr.Recaptcha); err != nil {
		t.Fatal(err)
	}
	e = r.TokenError(vkerr.Recaptcha, call("users.get", "u"))
	if nt, err := r.CompleteValidation(e.RedirectURI); err != nil || nt != "" || r.Token("u") != 0 {
		t.Fatalf("3300: %q %v %d", nt, err, r.Token("u"))
	}
	// The store refusing a new token fails the validation.
	toks.full = true
	e = r.TokenError(vkerr.AuthValidation, call("users.get", "t"))
	if _, err := r.CompleteValidation(e.RedirectURI); err == nil {
		t.Fatal("completed with a full store")
	}
	// A token longer than the store keeps cannot complete.
	long := strings.Repeat("x", r.maxToken+1)
	e = r.TokenError(vkerr.AuthValidation, call("users.get", long))
	if _, err := r.CompleteValidation(e.RedirectURI); err == nil {
		t.Fatal("completed for an unknown long token")
	}
	if _, err := r.CompleteValidation("%zz"); err == nil {
		t.Fatal("a bad URI completed")
	}
	if _, err := r.CompleteValidation("http://mock.test/validate?" + url.Values{"sid": {"1"}}.Encode()); err == nil {
		t.Fatal("an unknown sid completed")
	}
}
