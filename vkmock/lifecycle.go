package vkmock

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// ErrClosed is returned by Start, Serve and the Callback controls after
// Close.
var ErrClosed = core.ErrClosed

// lifetime is what Close ends: the context every request's wait is tied
// to, the http.Server of Start or Serve, and the requests in flight.
type lifetime struct {
	ctx    context.Context // canceled by Close: Long Poll waits and fault delays end
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	inflight int
	idle     chan struct{} // closed when inflight drops to zero after Close
	done     chan struct{} // closed when Close has ended everything
	srv      *http.Server  // of Start or Serve; nil before
	served   chan struct{} // closed when srv.Serve has returned
	url      string
	client   *http.Client
}

func (l *lifetime) init() {
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.idle = make(chan struct{})
	l.done = make(chan struct{})
}

// enter counts a request in; false after Close.
func (l *lifetime) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.inflight++
	return true
}

func (l *lifetime) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if l.closed && l.inflight == 0 {
		close(l.idle)
	}
}

// Start serves s on ln in the background until Close (which closes ln).
// With cert, or with WithTLS and no cert (a fresh self-signed one for the
// listener's address), it serves HTTPS; HTTPClient trusts the certificate.
// A server is started once, by Start or Serve.
func (s *Server) Start(ln net.Listener, cert *tls.Certificate) error {
	srv, ln, err := s.listen(ln, cert, s.run.ctx)
	if err != nil {
		return err
	}
	go func() {
		err := srv.Serve(ln)
		close(s.run.served)
		if !errors.Is(err, http.ErrServerClosed) {
			// The listener failed: what the server started ends too.
			s.Close()
		}
	}()
	return nil
}

// listen makes the http.Server of Start and Serve and records it for
// Close; it wraps ln in TLS when the server serves HTTPS.
func (s *Server) listen(ln net.Listener, cert *tls.Certificate, base context.Context) (*http.Server, net.Listener, error) {
	if cert == nil && s.useTLS {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		c, _, err := SelfSignedCert(host)
		if err != nil {
			return nil, nil, err
		}
		cert = &c
	}
	srv := &http.Server{
		Handler: s,
		// Disables HTTP/2, whose streams cannot be hijacked (reset, truncate).
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		BaseContext:  func(net.Listener) context.Context { return base },
	}
	s.configure(srv)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	scheme := "http"
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
		pool := x509.NewCertPool()
		for _, der := range cert.Certificate {
			if c, err := x509.ParseCertificate(der); err == nil {
				pool.AddCert(c)
			}
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		tr.ForceAttemptHTTP2 = false
	}
	l := &s.run
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return nil, nil, ErrClosed
	case l.srv != nil:
		return nil, nil, errors.New("vkmock: the server is already started")
	}
	l.srv, l.served = srv, make(chan struct{})
	l.url = scheme + "://" + ln.Addr().String()
	l.client = &http.Client{Transport: tr}
	return srv, ln, nil
}

// URL returns the root of a server started by Start or Serve, such as
// "http://127.0.0.1:41234"; requests go to URL()+"/method/NAME". It is
// empty before.
func (s *Server) URL() string {
	s.run.mu.Lock()
	defer s.run.mu.Unlock()
	return s.run.url
}

// HTTPClient returns a client for a server started by Start or Serve: it
// trusts the server's certificate, and Close drops its connections. It is
// http.DefaultClient before.
func (s *Server) HTTPClient() *http.Client {
	s.run.mu.Lock()
	defer s.run.mu.Unlock()
	if s.run.client == nil {
		return http.DefaultClient
	}
	return s.run.client
}

// Close ends everything the server started: the listener of Start or
// Serve and its connections, the Long Poll waits and fault delays in
// flight (they end without an answer), and the Callback sender. It waits
// for the requests in flight to return. Later requests get error 10 (or
// HTTP 503 outside /method/); the Go control API still works. Close is
// idempotent: a later call returns once the first has ended everything.
func (s *Server) Close() {
	l := &s.run
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return
	}
	l.closed = true
	if l.inflight == 0 {
		close(l.idle)
	}
	srv, served, client := l.srv, l.served, l.client
	l.mu.Unlock()
	l.cancel()
	s.stream.close(s) // its WebSockets are requests in flight until closed
	if srv != nil {
		_ = srv.Close()
		<-served
	}
	<-l.idle
	s.cb.Close()
	if client != nil {
		client.CloseIdleConnections()
	}
	close(l.done)
}

// Serve serves s on ln until ctx is done, then shuts down gracefully,
// waiting at most grace for requests in flight, and closes the server
// (see Close). With cert it serves HTTPS (HTTP/1.1 only, so that the
// reset and truncate faults work). When the listener fails, Serve closes
// the server too and returns the error.
func (s *Server) Serve(ctx context.Context, ln net.Listener, cert *tls.Certificate, grace time.Duration) error {
	srv, ln, err := s.listen(ln, cert, ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- srv.Serve(ln)
		close(s.run.served)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
