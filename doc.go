// Package vkerr is the catalogue of VK API errors and the types that carry
// them on the wire.
//
// # Codes and the catalogue
//
// Every error code of the VK API schema is a constant of type Code, named
// after its schema name (api_error_captcha is Captcha, api_error_too_many is
// TooMany). Like syscall.Errno, a Code is an error, and Lookup gives its
// catalogue entry: English and Russian message, remedy, category, retry
// advice, whether any method may return it, subcodes and a documentation
// link.
//
//	info, _ := vkerr.Lookup(14)
//	fmt.Println(info.GoName, info.Category, info.Retry) // Captcha user_action user_action
//
// Codes the catalogue does not know work everywhere: they take
// DefaultCategory and Code.Info describes them.
//
// # Matching
//
// An error response decodes into an *Error. Match it with errors.Is against
// a code, a subcode or a category sentinel, through any number of wraps:
//
//	_, err := vkerr.DecodeResponse(body)
//	switch {
//	case errors.Is(err, vkerr.Captcha):          // exactly code 14
//	case errors.Is(err, vkerr.ErrRateLimit):     // 6, 9, 29, ...
//	case errors.Is(err, vkerr.ErrTransient):     // 1, 10, and HTTP-level failures
//	}
//
// and read its fields with errors.As:
//
//	var e *vkerr.Error
//	if errors.As(err, &e) && e.Code == vkerr.Captcha {
//		show(e.CaptchaImg) // then resend with captcha_sid=e.CaptchaSID&captcha_key=...
//	}
//
// The categories are, in order of precedence: ErrTransient, ErrRateLimit,
// ErrUserAction, ErrAuth, ErrPermission, ErrNotFound, ErrInvalidInput,
// ErrQuota, ErrFeatureState. A code has exactly one.
//
// # Other shapes
//
// The platform answers failures in other shapes too, each with its type and
// matched by category: *HTTPError (non-200, HTML pages, empty or truncated
// bodies; transient), *UploadError (upload servers), *OAuthError
// (oauth.vk.com), *LongPollError (Long Poll failed 1-4), AdsErrors (per-item
// results of ads.* methods) and ExecuteErrors (the inner calls of execute
// that failed; errors.Is and errors.As look at each). CheckResponse reads an
// *http.Response through a size limit and returns the most specific of them;
// Inspect recognises any body.
//
// # Explaining and logging
//
// Error() is one line ("vk: error 14: Captcha needed"); %+v adds every field the
// server sent and the remedy; *Error implements slog.LogValuer. None of them,
// nor %#v, nor MarshalJSON of any error type, ever shows a secret (see
// IsSecretParam for the names, IsSecretParamOf for the per-method rules, and
// RedactString for the forms): wherever one appears (request_params,
// ban_info, unknown fields, URLs, messages, body snippets) it is replaced by
// Redacted, before any text is shortened. MarshalWire is the unredacted form
// a server such as vkmock sends.
//
//	logger.Warn("vk call failed", "err", e) // err.code=14 err.name=api_error_captcha ...
//	fmt.Println(info.Message("ru"), "—", info.Remedy("ru"))
//
// The catalogue is generated from the official schema (errors.json, VK API
// 5.199) and the hand-kept internal/gencatalogue/annotations.json; see
// the go:generate line below.
package vkerr

//go:generate go run ./internal/gencatalogue -schema ../shared/vk-api-schema -annotations internal/gencatalogue/annotations.json -out catalogue_gen.go
//go:generate go run ./internal/genparams -schema ../shared/vk-api-schema -out schema_params_gen.go
