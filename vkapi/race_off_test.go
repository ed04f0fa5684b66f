//go:build !race

package vkapi

// raceOn reports a -race build, where CPU-bound tests do less work.
const raceOn = false
