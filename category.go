package vkerr

import "fmt"

// Category groups error codes by what makes the identical request succeed
// later. Each category is also a sentinel error: errors.Is(err, ErrRateLimit)
// reports whether err carries any code of that category. Categories are
// assigned in this order of precedence (see the package documentation):
// transient, rate limit, user action, auth, permission, not found, invalid
// input, quota, feature state.
//
// The zero Category is not a category: no code has it and it matches nothing.
type Category uint8

// The categories of VK API errors.
const (
	_ Category = iota
	// CategoryTransient: the server failed; time alone fixes it. Retry with
	// backoff when the call is safe to repeat.
	CategoryTransient
	// CategoryRateLimit: a throttle or quota window; time alone fixes it.
	CategoryRateLimit
	// CategoryUserAction: a person must act on a challenge (captcha,
	// validation, confirmation) before the request is resent.
	CategoryUserAction
	// CategoryAuth: the caller's token, app or account is unusable.
	CategoryAuth
	// CategoryPermission: the caller lacks rights, or the target's privacy
	// settings forbid the action.
	CategoryPermission
	// CategoryNotFound: the target object does not exist or has gone.
	CategoryNotFound
	// CategoryInvalidInput: the request itself is malformed.
	CategoryInvalidInput
	// CategoryQuota: a count or size cap on existing objects is reached.
	CategoryQuota
	// CategoryFeatureState: business-rule or state conflicts, features
	// switched off, "already done", "too late". Also the category of codes
	// the catalogue does not know.
	CategoryFeatureState
)

// Sentinel errors, one per category, for errors.Is.
var (
	ErrTransient    error = CategoryTransient
	ErrRateLimit    error = CategoryRateLimit
	ErrUserAction   error = CategoryUserAction
	ErrAuth         error = CategoryAuth
	ErrPermission   error = CategoryPermission
	ErrNotFound     error = CategoryNotFound
	ErrInvalidInput error = CategoryInvalidInput
	ErrQuota        error = CategoryQuota
	ErrFeatureState error = CategoryFeatureState
)

// DefaultCategory is the category of codes the catalogue does not know: the
// catch-all of the classification (do not retry the request as it is).
const DefaultCategory = CategoryFeatureState

var categoryNames = [...]string{
	CategoryTransient:    "transient",
	CategoryRateLimit:    "rate_limit",
	CategoryUserAction:   "user_action",
	CategoryAuth:         "auth",
	CategoryPermission:   "permission",
	CategoryNotFound:     "not_found",
	CategoryInvalidInput: "invalid_input",
	CategoryQuota:        "quota",
	CategoryFeatureState: "feature_state",
}

var categoryTexts = [...]string{
	CategoryTransient:    "transient server failure",
	CategoryRateLimit:    "rate limit",
	CategoryUserAction:   "user action required",
	CategoryAuth:         "authorization failure",
	CategoryPermission:   "permission denied",
	CategoryNotFound:     "not found",
	CategoryInvalidInput: "invalid input",
	CategoryQuota:        "quota reached",
	CategoryFeatureState: "feature state",
}

// Categories lists every category in order of precedence.
func Categories() []Category {
	return []Category{CategoryTransient, CategoryRateLimit, CategoryUserAction, CategoryAuth,
		CategoryPermission, CategoryNotFound, CategoryInvalidInput, CategoryQuota, CategoryFeatureState}
}

// String returns the category's stable identifier, such as "rate_limit".
func (c Category) String() string {
	if int(c) < len(categoryNames) && categoryNames[c] != "" {
		return categoryNames[c]
	}
	return "unknown"
}

// Error describes the category, such as "vk: rate limit".
func (c Category) Error() string {
	if int(c) < len(categoryTexts) && categoryTexts[c] != "" {
		return "vk: " + categoryTexts[c]
	}
	return "vk: unknown error category"
}

// Format prints the category's String for %v and %s (rather than its Error
// text), so that info.Category prints as "rate_limit".
func (c Category) Format(f fmt.State, verb rune) {
	switch verb {
	case 'd':
		fmt.Fprintf(f, "%d", uint8(c))
	case 'q':
		fmt.Fprintf(f, "%q", c.String())
	default:
		fmt.Fprint(f, c.String())
	}
}

// ParseCategory returns the category whose String is s.
func ParseCategory(s string) (Category, bool) {
	for c, name := range categoryNames {
		if name != "" && name == s {
			return Category(c), true
		}
	}
	return 0, false
}

// MarshalText encodes the category as its String.
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Retry is the catalogue's advice on resending a request that failed with a
// code. It says when the identical request may succeed; whether a client may
// repeat it safely (idempotency) is the client's decision.
//
// The zero Retry is RetryNever.
type Retry uint8

// Retry advice.
const (
	// RetryNever: the identical request will not succeed; fix something first.
	RetryNever Retry = iota
	// RetryShortDelay: wait about a second and resend unchanged (error 6).
	RetryShortDelay
	// RetryBackoff: a transient failure; retry with exponential backoff and a
	// bound on attempts (errors 1, 10).
	RetryBackoff
	// RetryCooldown: a throttle or quota window; defer for minutes to a day
	// (errors 9, 29).
	RetryCooldown
	// RetryUserAction: resend only after a person acted on the challenge the
	// error carries (errors 14, 17, 24).
	RetryUserAction
)

var retryNames = [...]string{
	RetryNever:      "never",
	RetryShortDelay: "short_delay",
	RetryBackoff:    "backoff",
	RetryCooldown:   "cooldown",
	RetryUserAction: "user_action",
}

var retryTexts = [...]string{
	RetryNever:      "do not retry the identical request",
	RetryShortDelay: "retry after a short delay (about one second)",
	RetryBackoff:    "retry with exponential backoff, a few times at most",
	RetryCooldown:   "retry only after a long cooldown (minutes to a day)",
	RetryUserAction: "retry after the user has acted on the challenge",
}

// String returns the advice's stable identifier, such as "backoff".
func (r Retry) String() string {
	if int(r) < len(retryNames) {
		return retryNames[r]
	}
	return "unknown"
}

// Describe returns the advice as an English sentence.
func (r Retry) Describe() string {
	if int(r) < len(retryTexts) {
		return retryTexts[r]
	}
	return "unknown retry advice"
}

// MarshalText encodes the advice as its String.
func (r Retry) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
