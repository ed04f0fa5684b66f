package challenges

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// TestFillConfirmation: a forced 24 gets the default text and, unless
// lenient, a pending confirmation that only the same request with
// confirm=1 gives.
func TestFillConfirmation(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	q := call("wall.post", "t", "message", "hi", "owner_id", "1")
	e := &vkerr.Error{Code: vkerr.NeedConfirmation}
	r.Fill(e, q, false)
	if e.ConfirmationText != DefaultConfirmation {
		t.Fatalf("text %q", e.ConfirmationText)
	}
	// Order of parameters and the captcha answer do not matter.
	same := call("wall.post", "t", "owner_id", "1", "captcha_sid", "5", "message", "hi")
	if e := r.CheckConfirmation(same); code(e) != vkerr.NeedConfirmation || e.ConfirmationText != DefaultConfirmation {
		t.Fatalf("same request: %v", e)
	}
	for _, other := range []*core.Request{
		call("wall.post", "u", "message", "hi", "owner_id", "1"),
		call("wall.post", "t", "message", "bye", "owner_id", "1"),
		call("wall.edit", "t", "message", "hi", "owner_id", "1"),
	} {
		if e := r.CheckConfirmation(other); e != nil {
			t.Fatalf("another request %+v: %v", other, e)
		}
	}
	confirmed := call("wall.post", "t", "message", "hi", "owner_id", "1", "confirm", "1")
	if e := r.CheckConfirmation(confirmed); e != nil {
		t.Fatalf("confirmed: %v", e)
	}
	if e := r.CheckConfirmation(q); e != nil {
		t.Fatalf("after confirming: %v", e)
	}
	e = &vkerr.Error{Code: vkerr.NeedConfirmation, ConfirmationText: "Really?"}
	r.Fill(e, q, true)
	if e.ConfirmationText != "Really?" || r.CheckConfirmation(q) != nil {
		t.Fatal("a lenient 24 left a pending confirmation")
	}
}

// TestFillCaptchaAndValidation: a forced 14 gets a registered captcha
// (the next attempt of one answered wrongly), a 14 with its own sid a
// picture URL, a forced 17 a validation page.
func TestFillCaptchaAndValidation(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	q := call("wall.post", "t")
	e := &vkerr.Error{Code: vkerr.Captcha, Message: "Captcha needed"}
	r.Fill(e, q, true)
	c, ok := r.Captcha(e.CaptchaSID)
	if !ok || c.Strict || e.CaptchaAttempt != 1 || !strings.Contains(e.CaptchaImg, e.CaptchaSID) {
		t.Fatalf("forced 14: %+v, %+v", e, c)
	}
	wrong := call("wall.post", "t", "captcha_sid", c.SID, "captcha_key", "no")
	wrong.Captcha, wrong.Answered = core.AnswerWrong, &c
	wrong.Answered.Flow = "vkid"
	e = &vkerr.Error{Code: vkerr.Captcha}
	r.Fill(e, wrong, false)
	if e.CaptchaAttempt != 2 || e.RedirectURI == "" {
		t.Fatalf("after a wrong answer: %+v", e)
	}
	e = &vkerr.Error{Code: vkerr.Captcha, CaptchaSID: "a b"}
	r.Fill(e, q, false)
	if e.CaptchaImg != "http://mock.test/captcha.php?sid=a+b&s=1" {
		t.Fatalf("own sid: %s", e.CaptchaImg)
	}
	msg := r.msgs.Of(vkerr.AuthValidation)
	e = &vkerr.Error{Code: vkerr.AuthValidation, Message: msg}
	r.Fill(e, q, false)
	if !strings.HasPrefix(e.RedirectURI, "http://mock.test/validate?sid=") || e.Message != msg+": please open redirect_uri in browser" {
		t.Fatalf("forced 17: %+v", e)
	}
	e = &vkerr.Error{Code: vkerr.Flood, Message: "x"}
	r.Fill(e, q, false)
	if !reflect.DeepEqual(*e, vkerr.Error{Code: vkerr.Flood, Message: "x"}) {
		t.Fatalf("9 changed: %+v", e)
	}
}
