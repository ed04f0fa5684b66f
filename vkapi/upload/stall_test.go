package upload_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
)

// vkmock's fault effect "stall" holds an upload POST with no answer. The
// Uploader gives up at Policy.AttemptTimeout (a real listener, so a short
// timeout: the mock's handler ends when the client drops the connection)
// and, per its contract, retries the same URL while UploadAttempts allow,
// then begins a new chain, and at the end reports a *upload.Error of step
// 2 that matches context.DeadlineExceeded and shows no signature.
func TestVKMockStalledPost(t *testing.T) {
	const attempt = 200 * time.Millisecond
	newUp := func(e *env) *upload.Uploader {
		up := upload.New(e.client, upload.Config{HTTPClient: &http.Client{Transport: e.rec},
			Policy: upload.Policy{Backoff: time.Millisecond, AttemptTimeout: attempt, UploadAttempts: 2, Chains: 2}})
		t.Cleanup(func() { _ = up.Close() })
		return up
	}
	t.Run("one stall: same URL again", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		if _, err := e.mock.Faults().Add(vkmock.Fault{ID: "stall", Method: "upload.photo", Effect: "stall", Times: 1}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		p, err := newUp(e).MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(began) < attempt {
			t.Fatal("the stalled POST was given up before AttemptTimeout")
		}
		st := e.mock.Uploads().Stored().Stored
		if len(st) != 1 || st[0].Attachments[0] != p.Attachment() {
			t.Fatalf("stored %+v, got %s", st, p.Attachment())
		}
		// One POST stalled, the next one went through (on a loaded machine
		// an ordinary POST may outlast the short timeout too: more POSTs,
		// still one chain and one save).
		got := [3]int{calls(e.mock, "photos.getMessagesUploadServer"), e.rec.posts, calls(e.mock, "photos.saveMessagesPhoto")}
		if got[0] != 1 || got[1] < 2 || got[2] != 1 {
			t.Fatalf("step 1, 2, 3 requests %v, want [1 2 1]", got)
		}
	})
	t.Run("always stalled: new chain, then a step 2 error", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		if _, err := e.mock.Faults().Add(vkmock.Fault{ID: "stall", Method: "upload.*", Effect: "stall"}); err != nil {
			t.Fatal(err)
		}
		_, err := newUp(e).MessageDoc(context.Background(), 1, upload.Bytes("a.txt", []byte("hello")))
		var ue *upload.Error
		if !errors.As(err, &ue) || ue.Step != upload.StepUpload || ue.Chains != 2 || ue.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v (%#v)", err, ue)
		}
		if strings.Contains(err.Error(), "_sig") || strings.Contains(err.Error(), "hash=") {
			t.Fatalf("the error shows the URL's signature: %v", err)
		}
		got := [3]int{calls(e.mock, "docs.getMessagesUploadServer"), e.rec.posts, calls(e.mock, "docs.save")}
		if got != [3]int{2, 4, 0} || len(e.mock.Uploads().Stored().Stored) != 0 {
			t.Fatalf("step 1, 2, 3 requests %v, want [2 4 0]", got)
		}
	})
}
