package vkmock_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestVKAPIClientFlows drives the challenge flows with the vkapi client:
// its hooks solve the captcha (both flows), pass the validation and
// confirm, and each call ends with a response.
func TestVKAPIClientFlows(t *testing.T) {
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	user := s.Tokens().Of(vkmock.TokenUser).Token
	if err := s.Challenges().Set(vkmock.Challenges{
		Captcha: []vkmock.CaptchaRule{{Method: "wall.post", Threshold: 1}, {Method: "messages.send", Threshold: 0, Flow: "vkid"}},
		Confirm: []vkmock.ConfirmRule{{Method: "wall.post"}},
	}); err != nil {
		t.Fatal(err)
	}
	solved := 0
	c := vkapi.New(user, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindUser),
		vkapi.WithCaptchaSolver(vkapi.CaptchaSolverFunc(func(ctx context.Context, cp *vkapi.Captcha) (vkapi.CaptchaAnswer, error) {
			solved++
			if cp.RedirectURI != "" {
				resp, err := s.HTTPClient().Post(cp.RedirectURI, "text/plain", nil)
				if err != nil {
					return vkapi.CaptchaAnswer{}, err
				}
				defer resp.Body.Close()
				var out struct {
					SuccessToken string `json:"success_token"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				return vkapi.CaptchaAnswer{SuccessToken: out.SuccessToken}, err
			}
			info, _ := s.Challenges().Captcha(cp.SID)
			return vkapi.CaptchaAnswer{Key: info.Key}, nil
		})),
		vkapi.WithValidator(vkapi.ValidatorFunc(func(ctx context.Context, v *vkapi.Validation) (string, error) {
			return s.Challenges().CompleteValidation(v.RedirectURI)
		})),
		vkapi.WithConfirmer(vkapi.ConfirmerFunc(func(ctx context.Context, cf *vkapi.Confirmation) (bool, error) {
			return cf.Text != "", nil
		})))
	ctx := context.Background()
	var post struct {
		PostID int64 `json:"post_id"`
	}
	// The second post needs a captcha, then (like the first) a confirmation.
	for range 2 {
		if err := c.Call(ctx, "wall.post", vkapi.Params{"message": "hello"}, &post); err != nil || post.PostID == 0 {
			t.Fatalf("wall.post: %v %+v", err, post)
		}
	}
	var id int64
	if err := c.Call(ctx, "messages.send", vkapi.Params{"peer_id": 5, "message": "hi", "random_id": 77}, &id); err != nil || id == 0 {
		t.Fatalf("messages.send: %v", err)
	}
	if solved != 2 || len(s.World().Messages()) != 1 {
		t.Fatalf("%d captchas solved, %d messages", solved, len(s.World().Messages()))
	}
	if err := s.Challenges().SetToken(user, 17); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, "users.get", nil, nil); err != nil {
		t.Fatalf("users.get after validation: %v", err)
	}
	if s.Challenges().Token(user) != 17 {
		t.Fatal("the old token no longer needs validation")
	}
	if resp, err := s.HTTPClient().Get(s.URL() + "/__vkmock/tokens"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
}
