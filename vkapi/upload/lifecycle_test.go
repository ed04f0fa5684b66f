package upload_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
)

// serverCaller answers step 1 with an upload URL; step 3 is never reached
// in these tests.
type serverCaller struct{ url string }

func (c serverCaller) Call(_ context.Context, method string, _ vkapi.Params, out any) error {
	b, _ := json.Marshal(map[string]string{"upload_url": c.url})
	return json.Unmarshal(b, out)
}

// A 307 to another origin is not followed: the file does not go there.
func TestUploadRefusesCrossOriginRedirect(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/upload", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	up := upload.New(serverCaller{srv.URL + "/upload?sig=secret"}, upload.Config{})
	defer up.Close()
	_, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.jpg", []byte("jpeg")))
	if !errors.Is(err, vkapi.ErrCrossOriginRedirect) {
		t.Fatalf("err %v", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other origin got %d requests", n)
	}
}

// Shutdown waits for the upload in flight (bounded by its context, then
// cancelling it), Close too; an upload begun after them fails with
// ErrClosed.
func TestUploadLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		close(arrived)
		<-r.Context().Done() // answers only when the client gives up
	}))
	defer srv.Close()
	up := upload.New(serverCaller{srv.URL + "/upload"}, upload.Config{Policy: upload.Policy{Chains: 1}})
	done := make(chan error, 1)
	go func() {
		_, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.jpg", []byte("jpeg")))
		done <- err
	}()
	<-arrived
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := up.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an upload in flight and no time: %v", err)
	}
	if err := up.Close(); err != nil { // the upload, cancelled, has ended
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, vkapi.ErrClosed) {
		t.Errorf("the upload cut short: %v", err)
	}
	if _, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.jpg", []byte("jpeg"))); !errors.Is(err, upload.ErrClosed) || !errors.Is(err, vkapi.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
