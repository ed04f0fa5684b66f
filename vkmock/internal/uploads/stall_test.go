package uploads

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
	"go.uber.org/goleak"
)

// TestUploadStallEndsOnClose: a "stall" rule holds an upload POST with no
// answer until the server closes (Deps.Done), then drops the connection;
// nothing is left running.
func TestUploadStallEndsOnClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	done := make(chan struct{})
	r, set := newTestRoom(t, Deps{Done: done})
	id, err := set.Add(faults.Fault{Method: "upload.photo", Phase: faults.PhaseBefore, Effect: "stall"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	defer srv.Close()
	u := uploadURL(t, r, groupToken, "photos.getMessagesUploadServer")
	u = srv.URL + u[len("http://127.0.0.1"):]

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "a.png")
	_, _ = fw.Write(testimg.PNG(t, 4, 4, 1))
	_ = mw.Close()
	answered := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Post(u, mw.FormDataContentType(), &body)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := set.Wait(ctx, id, 1); err != nil {
		t.Fatalf("the stall rule did not fire: %v", err)
	}
	select {
	case err := <-answered:
		t.Fatalf("a stalled upload was answered: %v", err)
	default:
	}
	close(done)
	if err := <-answered; err == nil {
		t.Fatal("a stalled upload got an answer when the server closed; want a dropped connection")
	}
	srv.CloseClientConnections()
	srv.Client().CloseIdleConnections()
}
