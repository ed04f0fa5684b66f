package upload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// chaosUploadFaults make about 20% of the requests of each of the three
// steps fail: step 1 (the get-upload-server calls), step 2 (the upload
// servers: 5xx pages, resets, truncated answers, every upload error shape,
// "photo":"[]", expired URLs, an API error), step 3 (the saves: silent
// failure codes before saving; lost, truncated and failed answers after
// saving).
var chaosUploadFaults = []vkmock.Fault{
	{ID: "s1-10", Method: "*.get*UploadServer", Probability: 0.08, Error: &vkerr.Error{Code: vkerr.Server}},
	{ID: "s1-1", Method: "*.get*UploadServer", Probability: 0.04, Error: &vkerr.Error{Code: vkerr.Unknown}},
	{ID: "s1-503", Method: "*.get*UploadServer", Probability: 0.04, HTTPStatus: 503},
	{ID: "s1-reset", Method: "*.get*UploadServer", Probability: 0.04, Effect: "reset"},

	{ID: "s2-502", Method: "upload.*", Probability: 0.03, HTTPStatus: 502},
	{ID: "s2-reset", Method: "upload.*", Probability: 0.03, Effect: "reset"},
	{ID: "s2-truncate", Method: "upload.*", Phase: "after", Probability: 0.02, Effect: "truncate"},
	{ID: "s2-docs", Method: "upload.*", Probability: 0.02, Upload: "docs"},
	{ID: "s2-video", Method: "upload.*", Probability: 0.01, Upload: "video"},
	{ID: "s2-story", Method: "upload.*", Probability: 0.01, Upload: "story"},
	{ID: "s2-lead", Method: "upload.*", Probability: 0.01, Upload: "lead_form"},
	{ID: "s2-empty", Method: "upload.*", Probability: 0.03, Upload: "empty"},
	{ID: "s2-expired", Method: "upload.*", Probability: 0.03, Upload: "expired"},
	{ID: "s2-10", Method: "upload.*", Probability: 0.01, Error: &vkerr.Error{Code: vkerr.Server}},

	{ID: "s3-121", Method: "photos.save*Photo", Probability: 0.02, Error: &vkerr.Error{Code: vkerr.ParamHash}},
	{ID: "s3-118", Method: "photos.save*Photo", Probability: 0.02, Error: &vkerr.Error{Code: vkerr.ParamServer}},
	{ID: "s3-100", Method: "*.save*", Probability: 0.02, Error: &vkerr.Error{Code: vkerr.Param}},
	{ID: "s3-after-reset", Method: "*.save*", Phase: "after", Probability: 0.04, Effect: "reset"},
	{ID: "s3-after-truncate", Method: "*.save*", Phase: "after", Probability: 0.03, Effect: "truncate"},
	{ID: "s3-after-10", Method: "*.save*", Phase: "after", Probability: 0.03, Error: &vkerr.Error{Code: vkerr.Server}},
	{ID: "s3-after-502", Method: "*.save*", Phase: "after", Probability: 0.03, HTTPStatus: 502},
	{ID: "s3-before-reset", Method: "*.save*", Probability: 0.02, Effect: "reset"},
}

// TestChaosUploads sends 500 uploads (photos and documents, to
// conversations and walls) through vkmock with about 20% of the requests
// of each step failing: every upload is saved at most once, exactly once
// when the call succeeded, with the object the call returned; every
// failure is a typed *upload.Error; no token reaches the upload servers.
func TestChaosUploads(t *testing.T) {
	n := 500
	if testing.Short() {
		n = 100
	}
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false), vkmock.WithRequestLogSize(20*n))
	for _, f := range chaosUploadFaults {
		if _, err := s.Faults().Add(f); err != nil {
			t.Fatalf("%s: %v", f.ID, err)
		}
	}
	rec := &recorder{wrapped: http.DefaultTransport.(*http.Transport).Clone()}
	apiTr := http.DefaultTransport.(*http.Transport).Clone()
	defer apiTr.CloseIdleConnections()
	defer rec.wrapped.(*http.Transport).CloseIdleConnections()
	newUp := func(kind vkmock.TokenKind, k vkapi.TokenKind) *upload.Uploader {
		c := vkapi.New(s.Tokens().Of(kind).Token, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(k),
			vkapi.WithHTTPClient(&http.Client{Transport: apiTr}),
			vkapi.WithLimit(vkapi.Limit{Per: 10 * time.Millisecond, User: 10000, Group: 10000}),
			vkapi.WithRetry(vkapi.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}))
		return upload.New(c, upload.Config{HTTPClient: &http.Client{Transport: rec}, Policy: upload.Policy{Backoff: time.Millisecond}})
	}
	group, user := newUp(vkmock.TokenGroup, vkapi.KindGroup), newUp(vkmock.TokenUser, vkapi.KindUser)
	defer group.Close()
	defer user.Close()

	type result struct {
		sha        string
		attachment string
		err        error
	}
	results := make([]result, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var data []byte
				if i%4 < 2 {
					data = testimg.PNG(t, 12, 12, i)
				} else {
					data = []byte("document number " + strconv.Itoa(i))
				}
				sum := sha256.Sum256(data)
				r := result{sha: hex.EncodeToString(sum[:])}
				var p *upload.Photo
				var d *upload.Doc
				switch i % 4 {
				case 0:
					p, r.err = group.MessagePhoto(ctx, 2000000001, upload.Bytes("p.png", data))
				case 1:
					p, r.err = user.WallPhoto(ctx, 0, upload.Bytes("w.png", data))
				case 2:
					d, r.err = group.MessageDoc(ctx, 2000000001, upload.Bytes("m.txt", data))
				case 3:
					d, r.err = user.WallDoc(ctx, 0, upload.Bytes("w.txt", data))
				}
				switch {
				case p != nil:
					r.attachment = p.Attachment()
				case d != nil:
					r.attachment = d.Attachment()
				}
				results[i] = r
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	stored := map[string][]vkmock.StoredUpload{}
	st := s.Uploads().Stored()
	for _, u := range st.Stored {
		stored[u.Files[0].SHA256] = append(stored[u.Files[0].SHA256], u)
	}
	failed, unknown := 0, 0
	for i, r := range results {
		got := stored[r.sha]
		if len(got) > 1 {
			t.Errorf("upload %d saved %d times", i, len(got))
			continue
		}
		if r.err == nil {
			if len(got) != 1 || got[0].Attachments[0] != r.attachment {
				t.Errorf("upload %d returned %s; the store has %+v", i, r.attachment, got)
			}
			continue
		}
		failed++
		var ue *upload.Error
		if !errors.As(r.err, &ue) || ue.Step < upload.StepServer || ue.Step > upload.StepSave {
			t.Errorf("upload %d: not a typed upload error: %v", i, r.err)
			continue
		}
		if ue.Unknown {
			unknown++
		} else if len(got) != 0 {
			t.Errorf("upload %d failed (%v) but was saved", i, r.err)
		}
	}
	if st.TokensSeen != 0 || len(rec.leaks) != 0 {
		t.Errorf("a token reached the upload servers: %d sightings, %v", st.TokensSeen, rec.leaks)
	}
	fired := map[string]int64{}
	for _, f := range s.Faults().List() {
		fired[f.ID] = f.Fired
	}
	t.Logf("%d uploads: %d saved, %d failed (%d with the save's outcome unknown); faults fired: %v",
		n, len(st.Stored), failed, unknown, fired)
	// With three chains a call fails only when every chain hits a fault
	// that needs a new one (about 15% each): well under 5% of the calls.
	if failed > n/20 {
		t.Errorf("%d of %d uploads failed: the remedies are not working", failed, n)
	}
	for _, id := range []string{"s1-10", "s2-reset", "s2-empty", "s2-expired", "s3-121", "s3-after-reset"} {
		if fired[id] == 0 {
			t.Errorf("fault %s never fired", id)
		}
	}
}
