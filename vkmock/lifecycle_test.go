package vkmock

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// Close ends what Start started: the listener, a request inside a fault's
// delay, the Callback sender; later requests get error 10.
func TestCloseEndsEverything(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "confirmation") {
			_, _ = io.WriteString(w, MustNew().Callback().ConfirmationCode(DefaultGroupID))
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer rcv.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := MustNew()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ln, nil); err == nil {
		t.Fatal("a second Start did not fail")
	}
	addServer(t, s, rcv.URL) // starts the sender
	id, err := s.Faults().Add(Fault{Method: "users.get", LatencyMS: 60000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := s.HTTPClient().PostForm(s.URL()+"/method/users.get", url.Values{"v": {"5.199"}})
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	if err := s.Faults().Wait(t.Context(), id, 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Fatal("the delayed request got an answer after Close")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("the listener is still open")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/method/users.get?v=5.199", nil))
	if !strings.Contains(rec.Body.String(), `"error_code":10`) {
		t.Fatalf("after Close: %s", rec.Body)
	}
	if err := s.Start(ln, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	if err := s.Callback().Confirm(DefaultGroupID, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Confirm after Close: %v", err)
	}
}

// A Long Poll wait ends on Close, even when s is mounted on a server it
// did not start, and Close returns only after the handler has.
func TestCloseEndsLongPollWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := MustNew()
		key, _, _ := s.lp.NewKey(DefaultGroupID)
		q := url.Values{"act": {"a_check"}, "key": {key}, "ts": {"0"}, "wait": {"25"}}
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/lp/wh"+strconv.FormatInt(DefaultGroupID, 10)+"?"+q.Encode(), nil))
		}()
		synctest.Wait()
		if s.LongPoll().Waiting() != 1 {
			t.Fatal("the request is not holding")
		}
		s.Close()
		select {
		case <-returned:
		default:
			t.Fatal("Close returned before the handler")
		}
		if s.LongPoll().Waiting() != 0 {
			t.Fatal("still holding after Close")
		}
	})
}

// failingListener fails its first Accept.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) { return nil, errors.New("accept: boom") }

// Serve returning on a listener error closes the server too.
func TestServeListenerErrorCloses(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := MustNew()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.Serve(context.Background(), failingListener{ln}, nil, 0); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Serve: %v", err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/__vkmock/requests", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Serve failed: %d %s", rec.Code, rec.Body)
	}
}

// Start's listener failing closes the server too, as Serve's does.
func TestStartListenerErrorCloses(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := MustNew()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.Start(failingListener{ln}, nil); err != nil {
		t.Fatal(err)
	}
	<-s.run.done // closed by the serving goroutine, not by the test
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/method/users.get?v=5.199", nil))
	if !strings.Contains(rec.Body.String(), `"error_code":10`) {
		t.Fatalf("after the listener failed: %s", rec.Body)
	}
}

// A fault's delay ends on Close too, when s is mounted on a server it did
// not start.
func TestCloseEndsFaultDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := MustNew()
		if _, err := s.Faults().Add(Fault{Method: "users.get", LatencyMS: 60000}); err != nil {
			t.Fatal(err)
		}
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			defer func() { _ = recover() }() // the reset of a recorder: http.ErrAbortHandler
			s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/method/users.get?v=5.199", nil))
		}()
		synctest.Wait()
		start := time.Now()
		s.Close()
		<-returned
		if d := time.Since(start); d != 0 {
			t.Fatalf("the delay ran on for %v after Close", d)
		}
	})
}
