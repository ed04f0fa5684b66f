package oauth

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// token answers /token: direct authorization (grant_type=password) for
// trusted apps, and client_credentials. The checks, in order: the grant
// type, the client, the app's trust, the captcha the account owes, the
// login and password, the second factor. Each error body has the shape
// and, where one is known, the text VK sends (vk-io's DirectAuthorization
// reads error_type; ../shared/spec section 6).
func (h *Handler) token(w http.ResponseWriter, r *http.Request, q url.Values) {
	app, _, ok := h.grantClient(w, q, "password", "client_credentials")
	if !ok {
		return
	}
	if !app.Trusted {
		writeError(w, http.StatusUnauthorized, errNotTrusted)
		return
	}
	login, password := q.Get("username"), q.Get("password")
	if login == "" || password == "" {
		writeError(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "username and password are required"})
		return
	}
	if e := h.checkCaptcha(r, q, login); e != nil {
		writeError(w, http.StatusUnauthorized, *e)
		return
	}
	h.mu.Lock()
	var acct Account
	for _, a := range h.accounts {
		if a.Login == login && a.Password == password {
			acct = a
		}
	}
	h.mu.Unlock()
	if acct.UserID == 0 {
		writeError(w, http.StatusUnauthorized, oauthError{Error: "invalid_client", ErrorType: "username_or_password_is_incorrect", Description: "Username or password is incorrect"})
		return
	}
	if acct.TwoFA != "" {
		if status, e := h.checkSecondFactor(r, q, acct); e != nil {
			writeError(w, status, *e)
			return
		}
	}
	h.answerTokens(w, app.ID, acct, nil, q.Get("scope"))
}

// checkCaptcha asks for a captcha while the account owes one: the right
// key of a pending captcha pays it (and is used up); a wrong key, or
// none, gets a fresh need_captcha.
func (h *Handler) checkCaptcha(r *http.Request, q url.Values, login string) *oauthError {
	h.mu.Lock()
	defer h.mu.Unlock()
	var acct *Account
	for i := range h.accounts {
		if h.accounts[i].Login == login {
			acct = &h.accounts[i]
		}
	}
	if acct == nil || !acct.Captcha {
		return nil
	}
	if sid := q.Get("captcha_sid"); sid != "" {
		if key, ok := h.captchas[sid]; ok {
			delete(h.captchas, sid)
			if strings.EqualFold(q.Get("captcha_key"), key) {
				acct.Captcha = false
				return nil
			}
		}
	}
	trimLocked(h.captchas)
	sid := strconv.FormatUint(h.seq*7919+100000000000, 10)
	h.captchas[sid] = h.deriveLocked("captcha-key", 5)
	return &oauthError{Error: "need_captcha", CaptchaSID: sid, CaptchaImg: base(r) + "/captcha.php?sid=" + sid + "&s=1"}
}

// checkSecondFactor asks for the 2FA code: with none, need_validation
// (and a fresh code, readable through Pending); with a code that is not
// six digits, otp_format_is_incorrect; with a wrong one, wrong_otp. The
// right code is used up.
func (h *Handler) checkSecondFactor(r *http.Request, q url.Values, acct Account) (int, *oauthError) {
	code := q.Get("code")
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.otps[acct.Login]
	if code != "" {
		switch {
		case len(code) != 6 || strings.Trim(code, "0123456789") != "":
			return http.StatusUnauthorized, &oauthError{Error: "invalid_request", ErrorType: "otp_format_is_incorrect", Description: "Invalid code format"}
		case p == nil || code != p.code:
			return http.StatusUnauthorized, &oauthError{Error: "invalid_request", ErrorType: "wrong_otp", Description: "Wrong code"}
		}
		delete(h.otps, acct.Login)
		return 0, nil
	}
	kind := acct.TwoFA
	if q.Get("force_sms") == "1" {
		kind = TwoFASMS
	}
	trimLocked(h.otps)
	sid := "2fa_" + h.deriveLocked("validation-sid", 24)
	n, _ := strconv.ParseUint(h.deriveLocked("otp", 8), 16, 64)
	p = &pendingOTP{sid: sid, kind: kind, code: strconv.FormatUint(100000+n%900000, 10)}
	h.otps[acct.Login] = p
	desc := "open redirect_uri in browser [5]. Also you can use 2fa_supported param"
	if q.Get("2fa_supported") == "1" {
		desc = "use app code"
		if kind == TwoFASMS {
			desc = "sms sent, use code param"
		}
	}
	mask := acct.PhoneMask
	if mask == "" {
		mask = "+7 *** *** ** 00"
	}
	return http.StatusUnauthorized, &oauthError{
		Error: "need_validation", Description: desc,
		ValidationType: kind, ValidationSID: sid, PhoneMask: mask,
		RedirectURI: base(r) + "/login?act=authcheck&api_hash=" + h.deriveLocked("api_hash", 18),
	}
}
