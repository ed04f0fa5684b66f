package vkerr_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/vkerr/vkerr"
)

func ExampleLookup() {
	info, ok := vkerr.Lookup(14)
	fmt.Println(ok, info.GoName, info.Name)
	fmt.Println(info.MessageEN, "/", info.MessageRU)
	fmt.Println(info.Category, info.Retry)
	// Output:
	// true Captcha api_error_captcha
	// Captcha needed / Требуется ввод кода с картинки (Captcha).
	// user_action user_action
}

func ExampleLookupName() {
	for _, name := range []string{"too_many", "api_error_flood", "RateLimit"} {
		info, _ := vkerr.LookupName(name)
		fmt.Println(int(info.Code), info.Retry)
	}
	// Output:
	// 6 short_delay
	// 9 cooldown
	// 29 cooldown
}

// Match an error by code or by category with errors.Is, however deeply it is
// wrapped.
func Example_errorsIs() {
	body := []byte(`{"error":{"error_code":6,"error_msg":"Too many requests per second"}}`)
	_, err := vkerr.DecodeResponse(body)
	err = fmt.Errorf("users.get: %w", err)

	fmt.Println(errors.Is(err, vkerr.TooMany))
	fmt.Println(errors.Is(err, vkerr.ErrRateLimit))
	fmt.Println(errors.Is(err, vkerr.Captcha))
	// Output:
	// true
	// true
	// false
}

// Read the fields of an error with errors.As.
func Example_errorsAs() {
	body := []byte(`{"error":{"error_code":14,"error_msg":"Captcha needed",` +
		`"captcha_sid":"548747100691","captcha_img":"https://api.vk.com/captcha.php?sid=548747100691"}}`)
	_, err := vkerr.DecodeResponse(body)

	var e *vkerr.Error
	if errors.As(err, &e) && e.Code == vkerr.Captcha {
		fmt.Println("show", e.CaptchaImg)
		fmt.Println("then resend with captcha_sid =", e.CaptchaSID)
	}
	fmt.Println(e)
	// Output:
	// show https://api.vk.com/captcha.php?sid=548747100691
	// then resend with captcha_sid = 548747100691
	// vk: error 14: Captcha needed
}

// An execute whose inner calls partly failed returns both its response and
// ExecuteErrors; errors.Is and errors.As look at every member.
func ExampleExecuteErrors() {
	body := []byte(`{"response":[[{"id":1}],false],"execute_errors":[` +
		`{"method":"wall.get","error_code":18,"error_msg":"User was deleted or banned"}]}`)
	resp, err := vkerr.DecodeResponse(body)
	fmt.Println(string(resp))
	fmt.Println(errors.Is(err, vkerr.UserDeleted), errors.Is(err, vkerr.ErrNotFound))
	var ee vkerr.ExecuteErrors
	if errors.As(err, &ee) {
		fmt.Println(ee[0].Method, ee[0].Code.String())
	}
	// Output:
	// [[{"id":1}],false]
	// true true
	// wall.get UserDeleted
}

// Log an error with slog: its attributes, never a token.
func ExampleError_LogValue() {
	e := &vkerr.Error{
		Code:          vkerr.Auth,
		Message:       "User authorization failed: invalid access_token (4).",
		RequestParams: vkerr.RequestParams{{Key: "access_token", Value: "vk1.a.secret"}, {Key: "method", Value: "users.get"}},
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Error("call failed", "err", e)
	// Output:
	// level=ERROR msg="call failed" err.code=5 err.name=api_error_auth err.category=auth err.msg="User authorization failed: invalid access_token (4)." err.request_params="access_token=[REDACTED] method=users.get"
}

// Codes the catalogue does not know still have a category.
func ExampleCode_Info() {
	c := vkerr.Code(4242)
	fmt.Println(c.Known(), c.Category(), c.Retry())
	fmt.Println(c)
	// Output:
	// false feature_state never
	// vk: unknown error code 4242
}
