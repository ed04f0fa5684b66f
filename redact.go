package vkerr

import (
	"regexp"
	"strings"
)

// Redacted replaces a secret wherever vkerr prints, logs or encodes one.
const Redacted = "[REDACTED]"

// secretParams are the parameter names whose values are secrets.
var secretParams = map[string]bool{
	"access_token":  true,
	"client_secret": true,
	"captcha_key":   true,
	"success_token": true,
	"key":           true, // Long Poll key
	"sig":           true,
}

// IsSecretParam reports whether a request parameter or JSON field named name
// holds a secret that must never be shown: access_token, client_secret,
// captcha_key, success_token, the Long Poll key, sig.
func IsSecretParam(name string) bool { return secretParams[strings.ToLower(name)] }

var (
	// key=value in URLs, query strings, fragments and free text.
	secretAssign = regexp.MustCompile(`(?i)\b(access_token|client_secret|captcha_key|success_token|key|sig)(=|%3D)([^&#\s"'<>,;]+)`)
	// "key":"value" in JSON text.
	secretJSON = regexp.MustCompile(`(?i)"(access_token|client_secret|captcha_key|success_token|key|sig)"(\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Authorization: Bearer <token>.
	secretBearer = regexp.MustCompile(`(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]+`)
	// VK token formats: vk1.a.… and the legacy 85-hex-digit keys.
	secretToken = regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_.-]+|\b[0-9a-f]{64,}\b`)
)

// RedactString masks every secret in s: values of the secret parameters in
// URLs, query strings and JSON text, bearer tokens, and anything shaped like
// a VK access token.
func RedactString(s string) string {
	if s == "" {
		return s
	}
	s = secretAssign.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = secretJSON.ReplaceAllString(s, `"${1}"${2}"`+Redacted+`"`)
	s = secretBearer.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = secretToken.ReplaceAllString(s, Redacted)
	return s
}
