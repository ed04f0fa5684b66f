//go:build race

package vkerr_test

// raceEnabled: the race detector slows the redaction table about twenty
// times, so under -race it runs a fixed sample; .ci/run runs it whole
// without -race.
const raceEnabled = true
