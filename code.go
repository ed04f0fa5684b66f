package vkerr

import (
	"slices"
	"strconv"
)

// Code is a VK API error code, the error_code of an error response.
//
// Like syscall.Errno, a Code is itself an error: errors.Is(err, vkerr.Captcha)
// reports whether err carries code 14, whether err is the Code itself or an
// *Error. A Code also matches its category: errors.Is(vkerr.TooMany,
// vkerr.ErrRateLimit) is true. Codes the catalogue does not know are valid
// too; they take DefaultCategory.
type Code int

// Error returns "vk: error N: " followed by the code's English message,
// such as "vk: error 14: Captcha needed".
func (c Code) Error() string {
	if info, ok := Lookup(c); ok {
		return "vk: error " + strconv.Itoa(int(c)) + ": " + info.MessageEN
	}
	return "vk: unknown error code " + strconv.Itoa(int(c))
}

// Is reports whether the code belongs to the category target. It compares one
// level only, as errors.Is expects.
func (c Code) Is(target error) bool {
	if t, ok := target.(Category); ok {
		return c.Category() == t
	}
	return false
}

// String returns the Go name of a known code, such as "Captcha", or
// "Code(N)".
func (c Code) String() string {
	if info, ok := Lookup(c); ok {
		return info.GoName
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Known reports whether the catalogue describes the code.
func (c Code) Known() bool {
	_, ok := Lookup(c)
	return ok
}

// Info returns the code's catalogue entry; for an unknown code, Unknown
// describes it.
func (c Code) Info() Info {
	if info, ok := Lookup(c); ok {
		return info
	}
	return UnknownInfo(c)
}

// Category returns the code's category, DefaultCategory for an unknown code.
func (c Code) Category() Category {
	if info, ok := Lookup(c); ok {
		return info.Category
	}
	return DefaultCategory
}

// Retry returns the catalogue's retry advice for the code, RetryNever for an
// unknown code.
func (c Code) Retry() Retry {
	if info, ok := Lookup(c); ok {
		return info.Retry
	}
	return RetryNever
}

// Subcode is a VK API error subcode, the error_subcode of an error response.
// A Subcode is an error: errors.Is(err, SubcodeMethodPermissionDenied) reports
// whether err is an *Error carrying that subcode.
type Subcode int

// Error returns "vk: " followed by the subcode's English message, such as
// "vk: method permission denied (subcode 1133)".
func (s Subcode) Error() string {
	if info, ok := LookupSubcode(s); ok {
		return "vk: " + info.MessageEN + " (subcode " + strconv.Itoa(int(s)) + ")"
	}
	return "vk: subcode " + strconv.Itoa(int(s))
}

// SubcodeInfo describes a subcode.
type SubcodeInfo struct {
	Subcode   Subcode `json:"subcode"`
	Code      Code    `json:"code"` // the error code the subcode refines
	Name      string  `json:"name"` // schema name, such as "method_permission_denied"
	MessageEN string  `json:"message_en,omitempty"`
	MessageRU string  `json:"message_ru,omitempty"`
	// Undefined is set for subcodes the schema references without giving a
	// value (error_request_try_again, error_access_try_again); Subcode is 0.
	Undefined bool `json:"undefined,omitempty"`
}

// LookupSubcode returns the description of a subcode the schema defines.
func LookupSubcode(s Subcode) (SubcodeInfo, bool) {
	i, ok := slices.BinarySearchFunc(subcodeTable[:], s, func(e SubcodeInfo, s Subcode) int { return int(e.Subcode) - int(s) })
	if !ok {
		return SubcodeInfo{}, false
	}
	return subcodeTable[i], true
}
