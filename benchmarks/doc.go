// Package benchmarks measures vkerr's event and call paths beside their
// peers on one in-process vkmock: vkapi/longpoll, vkapi/userlongpoll,
// vkapi/callback and vkapi.Client.Call against the Go SDK
// (github.com/SevereCloud/vksdk/v3) and against bare net/http loops that
// decode the same JSON.
//
// It is a module of its own, so that a user of vkerr never downloads the
// peers; the main module's `go test ./...` does not enter it. Run it from
// this directory:
//
//	go test -run '^$' -bench . -benchtime 1x
//
// The package holds benchmarks only; BENCHMARKS.md at the repository's
// root has the figures and the machine they were taken on.
package benchmarks
