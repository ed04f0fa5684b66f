package vkapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
)

// fakeVK answers like VK: users.get succeeds, messages.send asks for a
// captcha until it gets captcha_key=42, groups.leave asks for confirmation
// until it gets confirm=1.
func fakeVK() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/method/users.get":
			io.WriteString(w, `{"response":[{"id":1,"first_name":"Pavel","last_name":"Durov"}]}`)
		case "/method/messages.send":
			if r.PostForm.Get("captcha_key") == "42" {
				io.WriteString(w, `{"response":101}`)
				return
			}
			io.WriteString(w, `{"error":{"error_code":14,"error_msg":"Captcha needed","captcha_sid":"548","captcha_img":"https://api.vk.com/captcha.php?sid=548"}}`)
		case "/method/groups.leave":
			if r.PostForm.Get("confirm") == "1" {
				io.WriteString(w, `{"response":1}`)
				return
			}
			io.WriteString(w, `{"error":{"error_code":24,"error_msg":"Confirmation required","confirmation_text":"Leave the community?"}}`)
		default:
			io.WriteString(w, `{"error":{"error_code":29,"error_msg":"Rate limit reached"}}`)
		}
	}))
}

func ExampleClient_Call() {
	srv := fakeVK()
	defer srv.Close()
	c := vkapi.New("vk1.a.token", vkapi.WithBaseURL(srv.URL), vkapi.WithTokenKind(vkapi.KindUser))

	var users []struct {
		ID        int    `json:"id"`
		FirstName string `json:"first_name"`
	}
	err := c.Call(context.Background(), "users.get", vkapi.Params{"user_ids": []int{1}, "fields": "city"}, &users)
	fmt.Println(users[0].ID, users[0].FirstName, err)
	// Output: 1 Pavel <nil>
}

func ExampleWithCaptchaSolver() {
	srv := fakeVK()
	defer srv.Close()
	solver := vkapi.CaptchaSolverFunc(func(ctx context.Context, c *vkapi.Captcha) (vkapi.CaptchaAnswer, error) {
		fmt.Println("captcha", c.SID, "for", c.Method)
		return vkapi.CaptchaAnswer{Key: "42"}, nil // what a person read on c.Img
	})
	c := vkapi.New("vk1.a.token", vkapi.WithBaseURL(srv.URL), vkapi.WithCaptchaSolver(solver))
	var id int
	err := c.Call(context.Background(), "messages.send", vkapi.Params{"peer_id": 1, "message": "hi"}, &id)
	fmt.Println(id, err)
	// Output:
	// captcha 548 for messages.send
	// 101 <nil>
}

func ExampleWithConfirmer() {
	srv := fakeVK()
	defer srv.Close()
	confirm := vkapi.ConfirmerFunc(func(ctx context.Context, c *vkapi.Confirmation) (bool, error) {
		fmt.Println("asked:", c.Text)
		return true, nil
	})
	c := vkapi.New("vk1.a.token", vkapi.WithBaseURL(srv.URL), vkapi.WithConfirmer(confirm))
	fmt.Println(c.Call(context.Background(), "groups.leave", vkapi.Params{"group_id": 1}, nil))
	// Output:
	// asked: Leave the community?
	// <nil>
}

// Without a hook, the error comes back typed, with what the caller needs.
func ExampleCallError() {
	srv := fakeVK()
	defer srv.Close()
	c := vkapi.New("vk1.a.token", vkapi.WithBaseURL(srv.URL))
	err := c.Call(context.Background(), "messages.send", vkapi.Params{"peer_id": 1, "message": "hi"}, nil)
	var e *vkerr.Error
	if errors.As(err, &e) && e.Code == vkerr.Captcha {
		fmt.Println("show", e.CaptchaImg)
	}
	fmt.Println(err)
	// Output:
	// show https://api.vk.com/captcha.php?sid=548
	// vkapi: messages.send: after 1 attempt: vk: error 14: Captcha needed
}

func ExampleCooldownError() {
	srv := fakeVK()
	defer srv.Close()
	c := vkapi.New("vk1.a.token", vkapi.WithBaseURL(srv.URL))
	for i := 0; i < 2; i++ {
		err := c.Call(context.Background(), "wall.get", nil, nil)
		var ce *vkapi.CooldownError
		if errors.As(err, &ce) {
			fmt.Println(ce.Code, "local:", ce.Local, "errors.Is RateLimit:", errors.Is(err, vkerr.RateLimit))
		}
	}
	// Output:
	// vk: error 29: Rate limit reached local: false errors.Is RateLimit: true
	// vk: error 29: Rate limit reached local: true errors.Is RateLimit: true
}

// A retry chain of one's own: never retry users.get, defaults otherwise.
func ExampleCheckFunc() {
	noUsersGet := vkapi.CheckFunc(func(ctx context.Context, a *vkapi.Attempt) (vkapi.Decision, string) {
		if strings.HasPrefix(a.Method, "users.") {
			return vkapi.DontRetry, "users.* is cheap to redo by hand"
		}
		return vkapi.NoDecision, ""
	})
	policy := vkapi.RetryPolicy{Checks: append([]vkapi.Check{noUsersGet}, vkapi.DefaultChecks()...)}
	c := vkapi.New("vk1.a.token", vkapi.WithRetry(policy))
	fmt.Println(c != nil, len(policy.Checks))
	// Output: true 8
}

func ExampleLookupMethod() {
	for _, name := range []string{"messages.send", "wall.post", "users.get"} {
		m := vkapi.LookupMethod(name)
		fmt.Println(name, "read:", m.Read, "key:", m.IdempotencyKey, "tokens:", m.TokenKinds)
	}
	// Output:
	// messages.send read: false key: random_id tokens: [user group]
	// wall.post read: false key: guid tokens: [user]
	// users.get read: true key:  tokens: [user group service]
}
