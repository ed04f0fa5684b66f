package vkmock

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/testimg"
)

// TestUploadStallEndsOnClose: a "stall" rule holds an upload POST with no
// answer; Close ends it (the connection dropped) and returns, also when
// the mock is mounted on a server it did not start.
func TestUploadStallEndsOnClose(t *testing.T) {
	s := MustNew(WithRateLimits(false))
	mount := httptest.NewServer(s) // closed at the end: on a failure, the stalled request would hold it
	client := mount.Client()
	id, err := s.Faults().Add(Fault{Method: "upload.photo", Effect: "stall"})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"v": {"5.199"}, "access_token": {s.Tokens().Of(TokenGroup).Token}}
	resp, err := client.Get(mount.URL + "/method/photos.getMessagesUploadServer?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Response struct {
			UploadURL string `json:"upload_url"`
		} `json:"response"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || got.Response.UploadURL == "" {
		t.Fatalf("no upload_url: %+v %v", got, err)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "a.png")
	_, _ = fw.Write(testimg.PNG(t, 4, 4, 1))
	_ = mw.Close()
	answered := make(chan error, 1)
	go func() {
		resp, err := client.Post(got.Response.UploadURL, mw.FormDataContentType(), &body)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Faults().Wait(ctx, id, 1); err != nil {
		t.Fatalf("the stall rule did not fire: %v", err)
	}
	select {
	case err := <-answered:
		t.Fatalf("a stalled upload was answered: %v", err)
	default:
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close did not end a stalled upload")
	}
	if err := <-answered; err == nil {
		t.Fatal("a stalled upload got an answer at Close; want a dropped connection")
	}
	mount.Close()
}
