package vkmock

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServeTLSAndShutdown(t *testing.T) {
	cert, certPEM, err := SelfSignedCert("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := MustNew()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, &cert, time.Second) }()

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("bad PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/method/users.get?v=5.199&access_token=" + s.Tokens().Of(TokenUser).Token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"response":[`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// A slow request in flight is cut short by the shutdown: the latency
	// fault waits on the request context.
	slowID := mustAdd(t, s, Fault{Method: "users.get", LatencyMS: 60_000})
	slow := make(chan error, 1)
	go func() {
		resp, err := client.Get("https://" + ln.Addr().String() + "/method/users.get?v=5.199")
		if err == nil {
			resp.Body.Close()
		}
		slow <- err
	}()
	// Shut down once the request is in its handler: its fault has fired.
	wait, stop := context.WithTimeout(t.Context(), 10*time.Second)
	defer stop()
	if err := s.Faults().Wait(wait, slowID, 1); err != nil {
		t.Fatalf("the slow request never reached its handler: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if err := <-slow; err == nil {
		t.Error("the request the shutdown cut short got an answer, not a closed connection")
	}
	if recs := s.Requests().Of("users.get"); len(recs) != 2 || recs[1].Effect != "canceled" {
		t.Errorf("the slow request was not cut short: %+v", recs)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("still listening")
	}
}
