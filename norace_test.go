//go:build !race

package vkerr_test

const raceEnabled = false
