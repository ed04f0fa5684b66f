package challenges

import (
	"net/url"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Fill adds the fields VK sends with 14, 17 and 24 to an error forced by
// a fault rule or the X-Vkmock-Error header, when they are missing: a
// captcha registered for the request's token (its attempt one more than
// the captcha the request answered wrongly; any key solves it when
// lenient), a validation page, a confirmation text (and, unless lenient,
// a pending confirmation of the request). Other errors are left as they
// are.
func (r *Room) Fill(e *vkerr.Error, q *core.Request, lenient bool) {
	switch e.Code {
	case vkerr.Captcha:
		if e.CaptchaSID == "" {
			flow, attempt := "legacy", 1
			if q.Captcha == core.AnswerWrong && q.Answered != nil {
				flow, attempt = q.Answered.Flow, q.Answered.Attempt+1
			}
			c := r.NewCaptchaError(q, flow, attempt, lenient)
			e.CaptchaSID, e.CaptchaTS, e.CaptchaAttempt = c.CaptchaSID, c.CaptchaTS, c.CaptchaAttempt
			e.RedirectURI, e.RemixStlid = c.RedirectURI, c.RemixStlid
			if e.CaptchaImg == "" {
				e.CaptchaImg = c.CaptchaImg
			}
		} else if e.CaptchaImg == "" {
			e.CaptchaImg = q.Base() + "/captcha.php?sid=" + url.QueryEscape(e.CaptchaSID) + "&s=1"
		}
	case vkerr.AuthValidation:
		if e.RedirectURI == "" {
			e.RedirectURI = r.newValidation(q, vkerr.AuthValidation)
		}
		if e.Message == r.msgs.Of(vkerr.AuthValidation) {
			e.Message += ": please open redirect_uri in browser"
		}
	case vkerr.NeedConfirmation:
		if e.ConfirmationText == "" {
			e.ConfirmationText = DefaultConfirmation
		}
		if !lenient {
			r.askConfirmation(q, e.ConfirmationText)
		}
	}
}
