package vkapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzResponse feeds arbitrary statuses, content types and bodies to Call:
// it must never panic, must return either nil or an error, and its error
// string must never show the token.
func FuzzResponse(f *testing.F) {
	seeds := []string{
		`{"response":1}`, `{"response":[{"id":1}]}`, `{"error":{"error_code":14,"captcha_sid":"1","captcha_img":"x"}}`,
		`{"error":{"error_code":17,"redirect_uri":"https://m.vk.com/x?access_token=vk1.a.zzz"}}`,
		`{"error":{"error_code":24,"confirmation_text":"?"}}`, `{"error":{"error_code":5,"ban_info":{"access_token":"vk1.a.q"}}}`,
		`{"error":{"error_code":6}}`, `{"error":{"error_code":9}}`, `{"error":{"error_code":29}}`,
		`{"error":{"error_code":10}}`, `{"error":{"error_code":"1e400"}}`, `{"error":null}`, `{"error":[]}`,
		`{"response":1,"execute_errors":[{"method":"a","error_code":18}]}`, `{"response":1,"execute_errors":[null]}`,
		`{"error":{"error_code":14,"remixstlid":99999999999999999999999}}`,
		`<html><body>502</body></html>`, ``, `{`, `null`, `[]`, "\xff\xfe", `{"response":"` + strings.Repeat("a", 1000),
	}
	for i, s := range seeds {
		f.Add(uint16(200+i%3*100), "application/json", []byte(s))
	}
	f.Fuzz(func(t *testing.T, status uint16, ctype string, body []byte) {
		st := int(status%500) + 100
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{}
			h.Set("Content-Type", ctype)
			return &http.Response{StatusCode: st, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})}
		solver := CaptchaSolverFunc(func(context.Context, *Captcha) (CaptchaAnswer, error) { return CaptchaAnswer{Key: "k"}, nil })
		confirm := ConfirmerFunc(func(context.Context, *Confirmation) (bool, error) { return true, nil })
		validate := ValidatorFunc(func(context.Context, *Validation) (string, error) { return "vk1.a.NEWTOKEN", nil })
		c := New(testToken, WithHTTPClient(hc), WithBaseURL("http://vk.invalid"), WithMaxBodySize(4096),
			WithLimit(Limit{Off: true}), WithCaptchaSolver(solver), WithConfirmer(confirm), WithValidator(validate),
			WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond, QuotaCooldown: time.Millisecond}))
		for _, method := range []string{"users.get", "messages.send"} {
			var anyOut any
			var typed struct {
				ID    int    `json:"id"`
				Items []int  `json:"items"`
				Name  string `json:"name"`
			}
			for _, out := range []any{nil, &anyOut, &typed} {
				err := c.Call(context.Background(), method, Params{"x": 1}, out)
				if err != nil {
					var ce *CallError
					if !errors.As(err, &ce) {
						t.Fatalf("error of type %T: %v", err, err)
					}
					if s := err.Error(); strings.Contains(s, testToken) || strings.Contains(s, "NEWTOKEN") {
						t.Fatalf("token in error: %s", s)
					}
				}
			}
		}
	})
}
