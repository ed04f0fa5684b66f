package upload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// TestCancelAtRandomPoints cancels uploads at random points of their
// chains (latency at every step spreads them): each call returns its
// object or an error, an upload is never saved twice, no goroutine is
// left behind.
func TestCancelAtRandomPoints(t *testing.T) {
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	lat := &vkmock.Latency{Dist: "uniform", MinMS: 0, MaxMS: 4}
	for _, m := range []string{"*.get*UploadServer", "upload.*", "*.save*"} {
		if _, err := s.Faults().Add(vkmock.Fault{Method: m, Latency: lat}); err != nil {
			t.Fatal(err)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c := vkapi.New(s.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindGroup),
		vkapi.WithHTTPClient(&http.Client{Transport: tr}),
		vkapi.WithLimit(vkapi.Limit{Per: time.Millisecond, Group: 10000}))
	up := upload.New(c, upload.Config{Policy: upload.Policy{Backoff: time.Millisecond}})
	const n = 60
	shas := make([]string, n)
	atts := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		data := testimg.PNG(t, 6, 6, 1000+i)
		sum := sha256.Sum256(data)
		shas[i] = hex.EncodeToString(sum[:])
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(12000))*time.Microsecond)
			defer cancel()
			p, err := up.MessagePhoto(ctx, 1, upload.Bytes("c.png", data))
			switch {
			case err == nil && p != nil:
				atts[i] = p.Attachment()
			case err != nil && p == nil:
				var ue *upload.Error
				if !errors.As(err, &ue) {
					t.Errorf("untyped error %v", err)
				}
			default:
				t.Errorf("photo %v and error %v", p, err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, st := range s.Uploads().Stored().Stored {
		seen[st.Files[0].SHA256]++
		if seen[st.Files[0].SHA256] > 1 {
			t.Errorf("saved twice: %s", st.Files[0].SHA256)
		}
	}
	for i, a := range atts {
		if a != "" && seen[shas[i]] != 1 {
			t.Errorf("upload %d returned %s but is not stored", i, a)
		}
	}
	up.Close()
	tr.CloseIdleConnections()
}
