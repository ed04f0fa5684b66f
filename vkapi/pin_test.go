package vkapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestKeyedWriteStaysOnItsToken: VK deduplicates random_id per sender, so a
// resend of messages.send whose answer was lost must go out on the token
// that sent it, not on another community's token of the pool.
func TestKeyedWriteStaysOnItsToken(t *testing.T) {
	t.Parallel() // mocks of its own
	for _, batching := range []bool{false, true} {
		t.Run(fmt.Sprint("batching=", batching), func(t *testing.T) {
			srv := vkmocktest.NewServer(t)
			srv.SetRateLimits(false)
			a, err := srv.Tokens().Create(vkmock.Token{Kind: vkmock.TokenGroup, GroupID: 201})
			if err != nil {
				t.Fatal(err)
			}
			b, err := srv.Tokens().Create(vkmock.Token{Kind: vkmock.TokenGroup, GroupID: 202})
			if err != nil {
				t.Fatal(err)
			}
			method := "messages.send"
			if batching {
				method = "execute"
			}
			// Every other answer is lost after the message was stored.
			if _, err := srv.Faults().Add(vkmock.Fault{Method: method, Probability: 0.5, HTTPStatus: 502, Phase: "after"}); err != nil {
				t.Fatal(err)
			}
			opts := []Option{WithBaseURL(srv.URL()), WithTokenKind(KindGroup), WithTokens(b.Token), WithLimit(Limit{Off: true}), WithRetry(RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})}
			if batching {
				opts = append(opts, WithBatching(BatchOptions{}))
			}
			c := New(a.Token, opts...)
			const n = 60
			for i := range n {
				if err := c.Call(context.Background(), "messages.send", Params{"peer_id": 1000 + i, "message": "m"}, nil); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			msgs := srv.World().Messages()
			if len(msgs) != n {
				var peers []string
				for _, m := range msgs {
					peers = append(peers, fmt.Sprintf("%d←%d", m.PeerID, m.FromID))
				}
				t.Fatalf("%d messages for %d calls: %s", len(msgs), n, strings.Join(peers, " "))
			}
		})
	}
}

// TestCaptchaAnswerReplacesEarlierOne: after a VK ID captcha answered with
// a success_token, a legacy captcha's key must not travel with the stale
// token.
func TestCaptchaAnswerReplacesEarlierOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeVK(t, func(r fakeReq) reply {
			switch r.N {
			case 1:
				return reply{body: `{"error":{"error_code":14,"error_msg":"Captcha needed","captcha_sid":"1","redirect_uri":"https://id.vk.com/x","remixstlid":9069780796616521905}}`}
			case 2:
				if r.Form.Get("success_token") != "tok-1" || r.Form.Get("remixstlid") != "9069780796616521905" {
					t.Errorf("second request: %v", r.Form)
				}
				return reply{body: `{"error":{"error_code":14,"error_msg":"Captcha needed","captcha_sid":"2","captcha_img":"https://api.vk.com/captcha.php?sid=2"}}`}
			}
			if r.Form.Get("captcha_key") != "key-2" || r.Form.Get("captcha_sid") != "2" || r.Form.Has("success_token") || r.Form.Has("remixstlid") {
				t.Errorf("third request carries a stale answer: %v", r.Form)
			}
			return reply{}
		})
		solver := CaptchaSolverFunc(func(ctx context.Context, c *Captcha) (CaptchaAnswer, error) {
			if c.RedirectURI != "" {
				return CaptchaAnswer{SuccessToken: "tok-1"}, nil
			}
			return CaptchaAnswer{Key: "key-" + c.SID}, nil
		})
		c := New("tok", WithBaseURL(f.URL()), WithHTTPClient(memClient(f)), WithLimit(Limit{Off: true}), WithCaptchaSolver(solver))
		if err := c.Call(context.Background(), "wall.post", Params{"message": "x"}, nil); err != nil {
			t.Fatal(err)
		}
		if n := len(f.requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
}

func TestPinGroups(t *testing.T) {
	a, b := &entry{idx: 0}, &entry{idx: 1}
	mk := func(pin *entry) *batchItem { return &batchItem{pin: pin} }
	items := []*batchItem{mk(nil), mk(a), mk(b), mk(nil), mk(a), mk(b), mk(nil)}
	groups := pinGroups(items, 3)
	total := 0
	for _, g := range groups {
		if len(g) > 3 {
			t.Errorf("group of %d", len(g))
		}
		var pin *entry
		for _, it := range g {
			total++
			if it.pin != nil {
				if pin != nil && pin != it.pin {
					t.Errorf("a group mixes pins")
				}
				pin = it.pin
			}
		}
	}
	if total != len(items) || len(groups) != 3 {
		t.Errorf("%d items in %d groups, want %d in 3", total, len(groups), len(items))
	}
}
