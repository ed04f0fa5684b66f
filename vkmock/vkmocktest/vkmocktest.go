// Package vkmocktest starts a vkmock server for a test: NewServer serves
// it on 127.0.0.1 and closes it when the test ends, and Register adds a
// Callback server to it. It is the one part of vkmock that imports
// testing, so that programs built on vkmock do not link it.
package vkmocktest

import (
	"net"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
)

// NewServer starts a server on a free port of 127.0.0.1 (HTTPS with
// vkmock.WithTLS; its HTTPClient trusts the certificate) and closes it
// when the test ends. It fails t on a bad option.
func NewServer(t testing.TB, opts ...vkmock.Option) *vkmock.Server {
	t.Helper()
	s, err := vkmock.New(opts...)
	if err != nil {
		t.Fatalf("vkmock: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("vkmock: %v", err)
	}
	if err := s.Start(ln, nil); err != nil {
		_ = ln.Close()
		t.Fatalf("vkmock: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
