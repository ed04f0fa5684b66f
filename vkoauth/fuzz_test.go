package vkoauth

import (
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// FuzzDecodeAnswer: any body of the token endpoints gives tokens or an
// error, never a panic, and a token is never empty.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"vk1.a.x","expires_in":86400,"user_id":1,"email":"a@b"}`))
	f.Add(200, []byte(`{"access_token_5":"x","access_token_7":"y","expires_in":0}`))
	f.Add(401, []byte(`{"error":"need_validation","validation_type":"2fa_app","validation_sid":"s","phone_mask":"+7"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		fields, err := decodeAnswer(status, "application/json", body)
		if err != nil {
			return
		}
		c := &Client{}
		toks, err := c.tokensOf(fields, vkerr.KindUser)
		if err == nil && (len(toks) == 0 || toks[0].AccessToken == "") {
			t.Fatalf("no token and no error from %q", body)
		}
	})
}

// FuzzParseRedirect: any URL gives a code, tokens or an error.
func FuzzParseRedirect(f *testing.F) {
	f.Add("https://oauth.vk.com/blank.html#access_token=x&expires_in=0&user_id=1&state=s")
	f.Add("http://127.0.0.1:1/cb?code=abc&state=s")
	f.Add("https://oauth.vk.com/blank.html#error=access_denied&error_reason=user_denied")
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := ParseRedirect(raw, time.Unix(1, 0))
		if err == nil && r.Code == "" && len(r.Tokens) == 0 {
			t.Fatalf("nothing and no error from %q", raw)
		}
	})
}
