package vkmock

import (
	"maps"
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

// fillError gives the error its message when it has none, and the
// fields VK sends with 14, 17 and 24 when they are missing (see
// challenges.Room.Fill: a captcha, a validation page, a confirmation).
func (s *Server) fillError(e *vkerr.Error, q *vkRequest, lenient bool) {
	if e.Message == "" {
		e.Message = s.message(e.Code)
	}
	s.chal.Fill(e, q, lenient)
}
