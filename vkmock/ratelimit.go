package vkmock

import "github.com/vkerr/vkerr"

// rateBudget is the number of requests per vkerr.RateWindow the server
// accepts from a token of kind k, in the secure.* bucket or the other one,
// for an app with installs users: VK's documented budgets.
func rateBudget(k TokenKind, secure bool, installs int64) int {
	if secure {
		return vkerr.SecureRateBudget(installs)
	}
	return k.RateBudget()
}
