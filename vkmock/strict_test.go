package vkmock

import (
	"testing"

	"github.com/vkerr/vkerr"
)

// An injected captcha is VK's by default: a wrong key gets a fresh captcha
// with captcha_attempt one more, whether the captcha came from a fault
// rule or from the X-Vkmock-Error header; any key solves it only on
// request (Lenient, "; lenient").
func TestInjectedCaptchaIsStrictByDefault(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	get := func(hdr string, extra ...string) *answer {
		h := map[string]string{}
		if hdr != "" {
			h["X-Vkmock-Error"] = hdr
		}
		return post(t, s, "wall.get", vals(append([]string{"v", "5.199", "access_token", user}, extra...)...), h)
	}
	for _, src := range []string{"fault", "header"} {
		hdr := ""
		if src == "fault" {
			mustAdd(t, s, Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Captcha}})
		} else {
			hdr = "14"
		}
		a := get(hdr)
		wantError(t, a, vkerr.Captcha, "")
		sid := a.env.Error.CaptchaSID
		if captchaInfo(t, s, sid).Strict != true {
			t.Fatalf("%s: captcha not strict", src)
		}
		// A wrong key: a fresh captcha, attempt 2 (the header still set,
		// as a client that resends the same request would).
		a = get(hdr, "captcha_sid", sid, "captcha_key", "garbage")
		wantError(t, a, vkerr.Captcha, "")
		if a.env.Error.CaptchaSID == sid || a.env.Error.CaptchaAttempt != 2 {
			t.Fatalf("%s: wrong key answered %s, want a fresh captcha with attempt 2", src, a.body)
		}
		sid = a.env.Error.CaptchaSID
		// The right key passes.
		if a := get(hdr, "captcha_sid", sid, "captcha_key", captchaInfo(t, s, sid).Key); a.code() != 0 {
			t.Fatalf("%s: right key: %s", src, a.body)
		}
	}
	// Lenient, on request: any key solves it.
	for _, src := range []string{"fault", "header"} {
		hdr := ""
		if src == "fault" {
			mustAdd(t, s, Fault{Method: "wall.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Captcha}, Lenient: true})
		} else {
			hdr = "14; lenient"
		}
		sid := get(hdr).env.Error.CaptchaSID
		if a := get(hdr, "captcha_sid", sid, "captcha_key", "anything"); a.code() != 0 {
			t.Fatalf("%s lenient: %s", src, a.body)
		}
	}
	wantError(t, get("14; sloppy"), vkerr.Request, `Invalid request: X-Vkmock-Error: unknown option "sloppy": want lenient`)
}

// An injected 24 passes only with confirm=1 on the same request: the same
// request without it gets 24 again, even once the rule is spent.
func TestInjectedConfirmationNeedsConfirm(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	send := func(hdr string, extra ...string) *answer {
		h := map[string]string{}
		if hdr != "" {
			h["X-Vkmock-Error"] = hdr
		}
		return post(t, s, "messages.send", vals(append([]string{"v", "5.199", "access_token", user, "peer_id", "1", "message", "hi"}, extra...)...), h)
	}
	mustAdd(t, s, Fault{Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.NeedConfirmation}})
	wantError(t, send(""), vkerr.NeedConfirmation, "")
	wantError(t, send(""), vkerr.NeedConfirmation, "") // the rule is spent; the request still needs confirm=1
	if a := send("", "random_id", "7"); a.code() != 0 {
		t.Fatalf("another request: %s", a.body)
	}
	if a := send("", "confirm", "1"); a.code() != 0 {
		t.Fatalf("confirm=1: %s", a.body)
	}
	if a := send(""); a.code() != 0 {
		t.Fatalf("after the confirmation: %s", a.body)
	}
	// The header: 24 unless confirm=1.
	wantError(t, send("24"), vkerr.NeedConfirmation, "")
	if a := send("24", "confirm", "1"); a.code() != 0 {
		t.Fatalf("header with confirm=1: %s", a.body)
	}
	// Lenient: any later request passes.
	mustAdd(t, s, Fault{Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.NeedConfirmation}, Lenient: true})
	wantError(t, send(""), vkerr.NeedConfirmation, "")
	if a := send(""); a.code() != 0 {
		t.Fatalf("lenient: %s", a.body)
	}
}
