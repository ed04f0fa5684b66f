package vkerr

import (
	"encoding/json"
	"net/url"
	"strings"
)

// OAuthError is an error of oauth.vk.com, in the RFC 6749 shape
// {"error":TYPE,"error_description":...} or as the error parameters of a
// redirect, with VK's two extensions: need_captcha (CaptchaSID, CaptchaImg)
// and need_validation (ValidationType, ValidationSID, PhoneMask,
// RedirectURI).
type OAuthError struct {
	Type        string // error: invalid_client, invalid_grant, need_captcha, ...
	Description string // error_description
	Reason      string // error_reason (redirect errors)
	// ErrorType details the error of direct authorization:
	// username_or_password_is_incorrect, wrong_otp,
	// otp_format_is_incorrect, too_much_tries.
	ErrorType string

	CaptchaSID string // need_captcha
	CaptchaImg string

	ValidationType string // need_validation: 2fa_sms or 2fa_app
	ValidationSID  string
	PhoneMask      string
	RedirectURI    string

	Extra map[string]json.RawMessage
}

// OAuth error types that VK sends.
const (
	OAuthInvalidRequest          = "invalid_request"
	OAuthInvalidClient           = "invalid_client"
	OAuthUnauthorizedClient      = "unauthorized_client"
	OAuthInvalidGrant            = "invalid_grant"
	OAuthAccessDenied            = "access_denied"
	OAuthUnsupportedGrantType    = "unsupported_grant_type"
	OAuthUnsupportedResponseType = "unsupported_response_type"
	OAuthNeedCaptcha             = "need_captcha"
	OAuthNeedValidation          = "need_validation"
)

var oauthCategories = map[string]Category{
	"invalid_request":           CategoryInvalidInput,
	"invalid_client":            CategoryAuth,
	"unauthorized_client":       CategoryAuth,
	"unsupported_response_type": CategoryInvalidInput,
	"unsupported_grant_type":    CategoryInvalidInput,
	"invalid_scope":             CategoryInvalidInput,
	"server_error":              CategoryTransient,
	"temporarily_unavailable":   CategoryTransient,
	"access_denied":             CategoryPermission,
	"invalid_grant":             CategoryAuth,
	"invalid_token":             CategoryAuth,
	OAuthNeedCaptcha:            CategoryUserAction,
	OAuthNeedValidation:         CategoryUserAction,
	"flood_control":             CategoryRateLimit,
}

// IsOAuthErrorType reports whether t is an OAuth error type VK is known to
// send.
func IsOAuthErrorType(t string) bool {
	_, ok := oauthCategories[t]
	return ok
}

// Category classifies the error by its type; an unknown type is an auth
// failure.
func (e *OAuthError) Category() Category {
	if c, ok := oauthCategories[e.Type]; ok {
		return c
	}
	return CategoryAuth
}

// Is matches the error's category.
func (e *OAuthError) Is(target error) bool {
	c, ok := target.(Category)
	return ok && e.Category() == c
}

// Error returns "vk: oauth: TYPE: DESCRIPTION", secrets redacted.
func (e *OAuthError) Error() string {
	s := "vk: oauth: " + e.Type
	if e.Description != "" {
		s += ": " + e.Description
	} else if e.Reason != "" {
		s += ": " + e.Reason
	}
	return RedactString(s)
}

var oauthFields = map[string]func(e *OAuthError) *string{
	"error":             func(e *OAuthError) *string { return &e.Type },
	"error_description": func(e *OAuthError) *string { return &e.Description },
	"error_reason":      func(e *OAuthError) *string { return &e.Reason },
	"error_type":        func(e *OAuthError) *string { return &e.ErrorType },
	"captcha_sid":       func(e *OAuthError) *string { return &e.CaptchaSID },
	"captcha_img":       func(e *OAuthError) *string { return &e.CaptchaImg },
	"validation_type":   func(e *OAuthError) *string { return &e.ValidationType },
	"validation_sid":    func(e *OAuthError) *string { return &e.ValidationSID },
	"phone_mask":        func(e *OAuthError) *string { return &e.PhoneMask },
	"redirect_uri":      func(e *OAuthError) *string { return &e.RedirectURI },
}

// UnmarshalJSON decodes the token endpoint's error object.
func (e *OAuthError) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = OAuthError{}
	for k, v := range raw {
		if f, ok := oauthFields[k]; ok {
			s, _, err := flexString(v)
			if err != nil {
				return err
			}
			*f(e) = s
			continue
		}
		if e.Extra == nil {
			e.Extra = make(map[string]json.RawMessage)
		}
		e.Extra[k] = v
	}
	return nil
}

// MarshalJSON encodes the error in the token endpoint's shape, secrets
// redacted.
func (e *OAuthError) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(oauthFields))
	for k, f := range oauthFields {
		if v := *f(e); v != "" {
			if IsSecretParam(k) {
				v = Redacted // validation_sid
			}
			m[k] = RedactString(v)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return appendExtra(b, e.Extra)
}

// DecodeOAuth decodes a body of the OAuth token endpoint. On success it
// returns the body (access_token, expires_in, user_id, ...); a failure is an
// *OAuthError, or *HTTPError / *FormatError for a body that is not JSON.
func DecodeOAuth(body []byte) (json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, classifyJunk(body)
	}
	if raw == nil {
		return nil, &FormatError{Reason: "OAuth answer is null"}
	}
	if _, ok := raw["error"]; ok {
		e := new(OAuthError)
		if err := json.Unmarshal(body, e); err != nil {
			return nil, &FormatError{Reason: "OAuth error: " + err.Error(), Snippet: RedactedSnippet(body)}
		}
		return nil, e
	}
	return json.RawMessage(body), nil
}

// OAuthRedirectError extracts the error of an OAuth redirect, from the
// query or the fragment of its URL
// (…/blank.html#error=access_denied&error_reason=user_denied&…). It returns
// nil when the URL carries no error.
func OAuthRedirectError(u *url.URL) *OAuthError {
	for _, part := range []string{u.Fragment, u.RawQuery} {
		q, err := url.ParseQuery(strings.TrimPrefix(part, "?"))
		if err != nil || q.Get("error") == "" {
			continue
		}
		e := &OAuthError{}
		for k, f := range oauthFields {
			*f(e) = q.Get(k)
		}
		return e
	}
	return nil
}
