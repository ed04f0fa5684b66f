//go:build race

package main

// raceEnabled: the race detector slows the redaction table about twenty
// times, so under -race it runs a fixed sample; .ci/run runs it whole
// without -race.
const raceEnabled = true
