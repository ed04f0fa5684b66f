package vkerr

import "time"

// VK's documented request rates (dev.vk.com, "API requests"): the one
// definition the client's limiter and the mock server's both use.
//
// VK counts a token's requests in a window of RateWindow: going over the
// budget is error 6 (TooMany). The secure.* methods have budgets of their
// own, set by the app's install count (SecureRateBudget), and ads.* methods
// limits of their own (error 601); execute counts as one request.
const (
	// RateWindow is the span VK counts a budget over.
	RateWindow = time.Second

	// UserRateBudget is the budget of a user token per RateWindow, for
	// every method but secure.* and ads.*.
	UserRateBudget = 3
	// GroupRateBudget is the budget of a community token.
	GroupRateBudget = 20
	// ServiceRateBudget is the budget of a service token (outside
	// secure.*).
	ServiceRateBudget = 3

	// MinSecureRateBudget is the secure.* budget of the smallest apps
	// (under 10,000 installs), the lowest tier.
	MinSecureRateBudget = 5
	// MaxRateBudget is the largest budget of any kind or tier (secure.*
	// for apps over 1,000,000 installs).
	MaxRateBudget = 35
)

// RateBudget returns the number of requests per RateWindow VK accepts from
// a token of kind k: UserRateBudget, GroupRateBudget or ServiceRateBudget.
// KindUnknown (and any invalid kind) gets the strictest, UserRateBudget.
func (k TokenKind) RateBudget() int {
	switch k {
	case KindGroup:
		return GroupRateBudget
	case KindService:
		return ServiceRateBudget
	}
	return UserRateBudget
}

// secureTiers are the secure.* budgets by install count: an app with at
// most upTo installs gets budget (the last tier has no bound).
var secureTiers = [...]struct {
	upTo   int64
	budget int
}{
	{9_999, MinSecureRateBudget},
	{100_000, 8},
	{1_000_000, 20},
}

// SecureRateBudget returns the budget per RateWindow of the secure.*
// methods for an app with installs users: 5 under 10,000, 8 up to
// 100,000, 20 up to 1,000,000, and 35 (MaxRateBudget) above. A negative
// count is the lowest tier.
func SecureRateBudget(installs int64) int {
	for _, t := range secureTiers {
		if installs <= t.upTo {
			return t.budget
		}
	}
	return MaxRateBudget
}
