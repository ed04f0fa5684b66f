package vkmock

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
	"github.com/vkerr/vkerr/vkmock/internal/ratelimit"
)

// The request pipeline: a VK request is read, checked in the documented
// order (doc.go, "The order of the checks") and answered.

// outcome is what a VK request was answered with, for the log.
type outcome struct {
	code      vkerr.Code
	status    int
	fault     string
	effect    string
	tokenKind TokenKind
	// logNow records the request now, before an answer that closes the
	// connection (reset, truncate), so that a client that sees the
	// connection end finds the request in the log.
	logNow func()
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	var q *vkRequest
	out := outcome{status: http.StatusOK}
	logged := false
	out.logNow = func() {
		if q != nil && !logged {
			logged = true
			s.record(start, r, q, out)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// A bug must not become an HTML 500: answer error 10.
			e := &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server) + ": vkmock internal error"}
			s.writeError(w, e, false)
			out.code = vkerr.Server
			if s.logger != nil {
				s.logger.Error("vkmock: internal error", "panic", fmt.Sprint(p))
			}
		}
		out.logNow()
	}()
	q, e := s.parseRequest(w, r)
	if e == nil {
		e = s.handle(w, r, q, &out)
		if e == nil {
			return
		}
	}
	if e.RequestParams == nil && len(q.Params) < s.maxParams {
		e.RequestParams = q.Echo()
	}
	out.code = e.Code
	if out.effect == "truncate" {
		out.logNow()
	}
	s.writeError(w, e, out.effect == "truncate")
}

// handle runs the checks in their documented order and answers. It
// returns the error to answer, or nil when it has answered.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, q *vkRequest, out *outcome) *vkerr.Error {
	m := s.schema.Method(q.Name)
	proc := ""
	if m == nil {
		if name, ok := strings.CutPrefix(q.Name, "execute."); ok {
			if _, ok := s.procs.get(name); ok {
				m, proc = s.schema.Method("execute"), name
			}
		}
	}
	var tok Token
	var app App
	var chal vkerr.Code
	known := false
	if q.HasToken {
		tok, app, chal, known = s.lookupTokenChallenge(q.Token)
		if known {
			out.tokenKind = tok.Kind
		}
	}
	hasAnswer := false
	for _, p := range q.Params {
		if p.Key == "captcha_sid" || p.Key == "captcha_key" || p.Key == "success_token" {
			hasAnswer = true
			break
		}
	}
	if hasAnswer {
		q.Captcha, q.Answered = s.chal.Answer(q, false)
	}

	// 1. Forced errors and fault rules.
	if h := r.Header.Get("X-Vkmock-Error"); h != "" {
		if e := s.forcedError(h, q, m); e != nil {
			return e
		}
	}
	if hit := s.matchFaults(q, out.tokenKind, m, phaseBefore); hit.Fired() {
		if done, e := s.applyFault(w, r, hit, q, out); done || e != nil {
			return e
		}
	}

	// 2. v is required.
	if v, ok := q.Get("v"); !ok || v == "" {
		return s.withSuffix(vkerr.Request, "v is required")
	}
	// 3. The method must exist (names are case-sensitive).
	if m == nil {
		return &vkerr.Error{Code: vkerr.Method}
	}
	// 4. The token: present (unless the method is open), known, usable.
	if !q.HasToken {
		if !m.Open() {
			return s.withSuffix(vkerr.Auth, "no access_token passed.")
		}
	} else {
		if !known {
			return s.withSuffix(vkerr.Auth, "invalid access_token (4).")
		}
		switch tok.State {
		case StateExpired:
			return s.withSuffix(vkerr.Auth, "access_token has expired.")
		case StateRevoked:
			return s.withSuffix(vkerr.Auth, "invalid session.")
		case StateBanned:
			e := s.withSuffix(vkerr.Auth, "user is blocked.")
			e.BanInfo = tok.BanInfo
			if e.BanInfo == nil {
				e.BanInfo = &vkerr.BanInfo{MemberName: "Mock User", Message: "This profile has been blocked."}
			}
			return e
		case StateDeactivated:
			return &vkerr.Error{Code: vkerr.UserDeactivated}
		}
		// The token's challenge (17, 3300-3304, 3609-3611).
		if chal != 0 {
			return s.chal.TokenError(chal, q)
		}
		// 5. The app: disabled apps need test_mode=1; test_mode=1 needs a
		// disabled app or a user token.
		testMode := q.Flag("test_mode")
		if app.Disabled && !testMode {
			return &vkerr.Error{Code: vkerr.Disabled}
		}
		if testMode && !app.Disabled && tok.Kind != TokenUser {
			return &vkerr.Error{Code: vkerr.EnabledInTest}
		}
		// 6. HTTPS only.
		if s.httpsOnly.Load() && !q.TLS {
			return &vkerr.Error{Code: vkerr.AuthHTTPS}
		}
		// 7. The token kind must be one the method accepts.
		if !m.Accepts(tok.Kind) {
			return s.kindError(tok.Kind)
		}
		if e := s.oauthTokenError(m, tok); e != nil {
			return e
		}
	}
	// 8. Parameters.
	if e := s.validate(m, q); e != nil {
		return e
	}
	// 9. Rate limit.
	if q.HasToken && s.rateLimits.Load() && m.Section() != "ads" {
		secure := m.Section() == "secure"
		limit := rateBudget(tok.Kind, secure, app.Installs)
		if _, ok := s.limiter.Allow(ratelimit.Key{Token: storedKey(q.Token), Secure: secure}, s.nowFn, limit); !ok {
			return &vkerr.Error{Code: vkerr.TooMany}
		}
	}
	// 10. A captcha answer: a wrong one gets a fresh captcha.
	solved := false
	if hasAnswer {
		state, prev := s.chal.Answer(q, true)
		switch state {
		case answerWrong:
			flow, attempt, lenient := "legacy", 1, false
			if prev != nil {
				flow, attempt, lenient = prev.Flow, prev.Attempt+1, !prev.Strict
			}
			return s.chal.NewCaptchaError(q, flow, attempt, lenient)
		case answerFresh:
			solved = true
		}
	}
	// 11-14. Captcha, confirmation, flood control and quota rules, and
	// the confirmations asked by faults.
	if e := s.chal.Check(q, solved, false); e != nil {
		return e
	}
	if e := s.chal.CheckConfirmation(q); e != nil {
		return e
	}
	// 15. The answer: the world, execute, or the response schema.
	var body []byte
	var execErrs vkerr.ExecuteErrors
	var e *vkerr.Error
	if m.Name() == "execute" {
		body, execErrs, e = s.execute(q, tok, proc)
		if body != nil {
			body = executeEnvelope(body, execErrs)
		}
	} else {
		body, e = s.answer(m, q, tok)
	}
	// 16. Faults after the action.
	if hit := s.matchFaults(q, out.tokenKind, m, phaseAfter); hit.Fired() {
		if done, fe := s.applyFault(w, r, hit, q, out); done || fe != nil {
			return fe
		}
	}
	if e != nil {
		return e
	}
	if out.effect == "truncate" {
		out.logNow()
	}
	if execErrs != nil || m.Name() == "execute" {
		core.WriteBody(w, body, out.effect == "truncate")
		return nil
	}
	s.writeResponse(w, body, out.effect == "truncate")
	return nil
}

// applyFault applies the rules that fired: their delays, added up, then
// the answer of the one with an answer. It reports done when it has
// answered (an HTML page, a reset, a canceled wait), or returns the error
// to answer; neither for a delay or a truncation of the normal answer.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, hit faults.Hit, q *vkRequest, out *outcome) (bool, *vkerr.Error) {
	if out.fault != "" {
		out.fault += ","
	}
	out.fault += hit.IDs()
	var d time.Duration
	for _, f := range hit.Delays {
		d += s.delay(f)
	}
	if hit.Answer != nil {
		d += s.delay(hit.Answer)
	}
	if d = min(d, s.timeouts.maxFaultLatency()); d > 0 {
		if !core.Sleep(r.Context(), s.run.ctx.Done(), d) {
			// The client went away, or the server is shutting down: the
			// connection is closed without an answer, as a server going
			// down does (writing nothing would send an empty 200).
			out.effect, out.status = "canceled", 0
			out.logNow()
			core.ResetConn(w)
			return true, nil
		}
	}
	f := hit.Answer
	if f == nil {
		return false, nil
	}
	switch {
	case f.HTTPStatus != 0:
		out.status = f.HTTPStatus
		core.WriteHTML(w, f.HTTPStatus)
		return true, nil
	case f.Effect == "reset":
		out.effect, out.status = "reset", 0
		out.logNow()
		core.ResetConn(w)
		return true, nil
	case f.Error != nil:
		return false, s.faultError(f, q)
	case f.Effect == "truncate":
		out.effect = "truncate"
	}
	return false, nil
}

// kindError is the error of a token kind the method does not take.
func (s *Server) kindError(k TokenKind) *vkerr.Error {
	switch k {
	case TokenGroup:
		return s.withSuffix(vkerr.GroupAuth, "method is unavailable with group auth.")
	case TokenService:
		return s.withSuffix(vkerr.AppAuth, "method is unavailable with service token.")
	}
	return s.withSuffix(vkerr.Access, "no access to call this method")
}
