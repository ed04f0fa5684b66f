package vkapi

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// The flows that ask the user against vkmock: the validation page that
// issues a new token (error 17), and confirmation (error 24).

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// pageValidator is a Validator that goes through the mock's validation page
// as a browser would: it opens redirect_uri, submits the form with act (ok or
// cancel) and reads the new token from the fragment of the blank.html
// redirect.
func pageValidator(s *vkmock.Server, act string, calls *atomic.Int32) ValidatorFunc {
	return func(ctx context.Context, v *Validation) (string, error) {
		calls.Add(1)
		page, err := getBody(ctx, s, v.RedirectURI, "text/html")
		if err != nil {
			return "", err
		}
		m := formAction.FindSubmatch(page)
		if m == nil {
			return "", fmt.Errorf("no form on the validation page: %s", page)
		}
		ru, err := url.Parse(v.RedirectURI)
		if err != nil {
			return "", err
		}
		action, err := ru.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(url.Values{"act": {act}}.Encode()))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hc := *s.HTTPClient()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode != http.StatusFound || loc.Path != "/blank.html" {
			return "", fmt.Errorf("validation answered %s, Location %v", resp.Status, loc)
		}
		frag, err := url.ParseQuery(loc.Fragment)
		if err != nil || frag.Get("success") != "1" || frag.Get("access_token") == "" {
			return "", fmt.Errorf("validation failed: #%s", loc.Fragment)
		}
		return frag.Get("access_token"), nil
	}
}

func TestVKMockValidation(t *testing.T) {
	s := flowServer(t)
	old, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Challenges().SetToken(old.Token, vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	c := flowClient(s, old.Token, KindUser, WithValidator(pageValidator(s, "ok", &calls)))
	// Concurrent calls that meet the 17 share one validation.
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Go(func() {
			var users []struct {
				ID int64 `json:"id"`
			}
			err := c.Call(context.Background(), "users.get", nil, &users)
			if err == nil && (len(users) != 1 || users[0].ID != old.UserID) {
				err = fmt.Errorf("caller %d: users.get answered %+v for the token's owner %d", i, users, old.UserID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("validator called %d times", n)
	}
	// The mock issued a new token of the same owner; the old one still
	// answers 17, so later calls succeed only if the new token replaced it.
	var fresh vkmock.Token
	for _, tk := range s.Tokens().All() {
		if tk.UserID == old.UserID && tk.Token != old.Token {
			fresh = tk
		}
	}
	if fresh.Token == "" || s.Challenges().Token(old.Token) != vkerr.AuthValidation {
		t.Fatalf("the mock's tokens: %+v", s.Tokens().All())
	}
	n17 := countCode(s.Requests().Of("users.get"), vkerr.AuthValidation)
	for range 3 {
		if err := c.Call(context.Background(), "users.get", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if countCode(s.Requests().Of("users.get"), vkerr.AuthValidation) != n17 || calls.Load() != 1 {
		t.Error("later calls went out with the old token")
	}
	// Revoking the new token makes the client fail with 5, not 17: the
	// pool holds the new token. Neither token shows in the error.
	if err := s.Tokens().SetState(fresh.Token, vkmock.StateRevoked); err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "users.get", nil, nil)
	var te *TokenError
	if !errors.As(err, &te) || !errors.Is(err, vkerr.Auth) {
		t.Fatalf("after revoking the new token: %v", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, fresh.Token) || strings.Contains(msg, old.Token) {
		t.Errorf("a token in the error: %s", msg)
	}
}

func TestVKMockValidationWithoutValidator(t *testing.T) {
	s := flowServer(t)
	tok := s.Tokens().Of(vkmock.TokenUser).Token
	if err := s.Challenges().SetToken(tok, vkerr.AuthValidation); err != nil {
		t.Fatal(err)
	}
	c := flowClient(s, tok, KindUser)
	err := c.Call(context.Background(), "users.get", nil, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.AuthValidation || !strings.HasPrefix(e.RedirectURI, s.URL()+"/validate?sid=") {
		t.Fatalf("err %v", err)
	}
	if n := len(s.Requests().Of("users.get")); n != 1 {
		t.Errorf("%d requests", n)
	}
	// redirect_uri is all the caller needs: completing it gives a token.
	if nt, err := s.Challenges().CompleteValidation(e.RedirectURI); err != nil || nt == "" {
		t.Errorf("CompleteValidation: %q %v", nt, err)
	}
	// A validation the person cancels ends the call with the hook's error.
	var calls atomic.Int32
	c = flowClient(s, tok, KindUser, WithValidator(pageValidator(s, "cancel", &calls)))
	err = c.Call(context.Background(), "users.get", nil, nil)
	var he *HookError
	if !errors.As(err, &he) || he.Hook != "validator" || !errors.Is(err, vkerr.AuthValidation) || !strings.Contains(err.Error(), "fail=1") {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestVKMockConfirmation(t *testing.T) {
	s := flowServer(t)
	const text = "Publish this on your wall?"
	setChallenges(t, s, vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "wall.post", Text: text}}})
	tok := s.Tokens().Of(vkmock.TokenUser).Token
	ctx := context.Background()
	var asked []string
	yes := flowClient(s, tok, KindUser, WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
		asked = append(asked, cf.Method+": "+cf.Text)
		return true, nil
	})))
	var post struct {
		PostID int64 `json:"post_id"`
	}
	if err := yes.Call(ctx, "wall.post", Params{"message": "confirmed"}, &post); err != nil || post.PostID == 0 {
		t.Fatalf("yes: %v", err)
	}
	recs := s.Requests().Of("wall.post")
	if len(asked) != 1 || asked[0] != "wall.post: "+text || len(recs) != 2 {
		t.Fatalf("asked %q; %d requests", asked, len(recs))
	}
	if recs[0].Param("confirm") != "" || recs[1].Param("confirm") != "1" || recs[1].ErrorCode != nil ||
		recs[0].Param("guid") != recs[1].Param("guid") {
		t.Errorf("requests %+v", recs)
	}
	if postsWith(s, "confirmed") != 1 {
		t.Error("no post")
	}

	no := flowClient(s, tok, KindUser, WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) { return false, nil })))
	err := no.Call(ctx, "wall.post", Params{"message": "declined"}, nil)
	var he *HookError
	if !errors.As(err, &he) || he.Hook != "confirmer" || !errors.Is(err, ErrDeclined) || !errors.Is(err, vkerr.NeedConfirmation) {
		t.Fatalf("no: %v", err)
	}
	if n := len(s.Requests().Of("wall.post")); n != 3 || postsWith(s, "declined") != 0 {
		t.Errorf("no: %d requests, %d posts", n, postsWith(s, "declined"))
	}

	bare := flowClient(s, tok, KindUser)
	err = bare.Call(ctx, "wall.post", Params{"message": "unasked"}, nil)
	var e *vkerr.Error
	if !errors.As(err, &e) || e.Code != vkerr.NeedConfirmation || e.ConfirmationText != text {
		t.Fatalf("without a confirmer: %v", err)
	}
	if n := len(s.Requests().Of("wall.post")); n != 4 || postsWith(s, "unasked") != 0 {
		t.Errorf("without a confirmer: %d requests", n)
	}
}
