// Package deliverytest holds the one table test of the delivery contract
// of docs/events.md, run alike against Bots Long Poll, User Long Poll and
// the Callback API: it has no code of its own.
package deliverytest
