package vkmock

import (
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"

	"github.com/vkerr/vkerr"
)

// The errors the mock answers: forced by the X-Vkmock-Error header or a
// fault rule, and completed with the fields VK sends with 14, 17 and 24.

// msgs gives the schema's message of each code.
func (s *Server) msgs() core.Messages { return s.schema.Messages() }

func (s *Server) message(c vkerr.Code) string { return s.msgs().Of(c) }

func (s *Server) withSuffix(c vkerr.Code, suffix string) *vkerr.Error {
	return s.msgs().With(c, suffix)
}

// forcedError answers the X-Vkmock-Error header: "CODE" or
// "CODE:SUBCODE", optionally followed by "; lenient" (see Fault.Lenient).
// It returns nil when the request answers the challenge the header asks
// for: the right captcha key for 14, confirm=1 for 24.
func (s *Server) forcedError(h string, q *vkRequest, m *apiMethod) *vkerr.Error {
	h, opts, _ := strings.Cut(h, ";")
	lenient := false
	for opt := range strings.SplitSeq(opts, ";") {
		switch strings.TrimSpace(opt) {
		case "":
		case "lenient":
			lenient = true
		default:
			return s.requestError("X-Vkmock-Error: unknown option " + strconv.Quote(strings.TrimSpace(opt)) + ": want lenient")
		}
	}
	cs, ss, _ := strings.Cut(strings.TrimSpace(h), ":")
	code, err := strconv.Atoi(strings.TrimSpace(cs))
	if err != nil || code <= 0 {
		return s.requestError("X-Vkmock-Error must be an error code")
	}
	e := &vkerr.Error{Code: vkerr.Code(code)}
	if ss != "" {
		sub, err := strconv.Atoi(strings.TrimSpace(ss))
		if err != nil || sub < 0 {
			return s.requestError("X-Vkmock-Error subcode must be a number")
		}
		e.Subcode = vkerr.Subcode(sub)
	}
	if !s.schema.Global(e.Code) && (m == nil || !m.Lists(e.Code)) {
		return s.requestError("X-Vkmock-Error: error " + strconv.Itoa(code) + " is not global and " + strconv.Quote(q.Name) + " does not list it")
	}
	switch {
	case e.Code == vkerr.Captcha && q.Captcha == answerFresh,
		e.Code == vkerr.NeedConfirmation && q.Flag("confirm"):
		return nil
	}
	s.fillError(e, q, lenient)
	return e
}

// faultError builds the error of a fault rule.
func (s *Server) faultError(f *Fault, q *vkRequest) *vkerr.Error {
	e := *f.Error
	e.Extra = maps.Clone(f.Error.Extra)
	base := e.Message
	if base == "" {
		base = s.message(e.Code)
	}
	if f.Suffix != "" {
		base += ": " + f.Suffix
	}
	e.Message = base
	s.fillError(&e, q, f.Lenient && !f.StrictCaptcha)
	return &e
}

// fillError adds the fields VK sends with 14, 17 and 24 when they are
// missing: a captcha registered for the request's token (its attempt one
// more than the captcha the request answered wrongly; any key solves it
// when lenient), a validation page of the mock, a confirmation text (and,
// unless lenient, a pending confirmation of the request).
func (s *Server) fillError(e *vkerr.Error, q *vkRequest, lenient bool) {
	if e.Message == "" {
		e.Message = s.message(e.Code)
	}
	switch e.Code {
	case vkerr.Captcha:
		if e.CaptchaSID == "" {
			flow, attempt := "legacy", 1
			if q.Captcha == answerWrong && q.Answered != nil {
				flow, attempt = q.Answered.Flow, q.Answered.Attempt+1
			}
			c := s.newCaptchaError(q, flow, attempt, lenient)
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
			e.RedirectURI = s.newValidation(q, vkerr.AuthValidation)
		}
		if e.Message == s.message(vkerr.AuthValidation) {
			e.Message += ": please open redirect_uri in browser"
		}
	case vkerr.NeedConfirmation:
		if e.ConfirmationText == "" {
			e.ConfirmationText = defaultConfirmation
		}
		if !lenient {
			s.askConfirmation(q, e.ConfirmationText)
		}
	}
}
