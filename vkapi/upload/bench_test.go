package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// benchPhoto is a PNG of random pixels of about 100 KB.
func benchPhoto(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 160))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 100
	return &http.Client{Transport: t}
}

// BenchmarkUploadPhoto uploads a 100 KB photo for a message through the
// full chain (photos.getMessagesUploadServer, the POST, saveMessagesPhoto)
// against vkmock: "client" with vkapi/upload, "bare" with a hand-written
// three-step net/http sequence doing the same requests and decodes; the
// difference is the client's overhead.
func BenchmarkUploadPhoto(b *testing.B) {
	s := vkmocktest.NewServer(b, vkmock.WithRateLimits(false), vkmock.WithRequestLogSize(100))
	tok := s.Tokens().Of(vkmock.TokenGroup).Token
	photo := benchPhoto(b)
	ctx := context.Background()

	b.Run("client", func(b *testing.B) {
		hc := benchClient()
		defer hc.CloseIdleConnections()
		c := vkapi.New(tok, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithHTTPClient(hc),
			vkapi.WithLimit(vkapi.Limit{Per: time.Millisecond, Group: 1 << 20}))
		up := upload.New(c, upload.Config{HTTPClient: hc})
		defer up.Close()
		b.SetBytes(int64(len(photo)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := up.MessagePhoto(ctx, 1, upload.Bytes("bench.png", photo)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
	})
	b.Run("bare", func(b *testing.B) {
		hc := benchClient()
		defer hc.CloseIdleConnections()
		b.SetBytes(int64(len(photo)))
		b.ReportAllocs()
		for b.Loop() {
			bareUpload(b, ctx, hc, s.URL(), tok, photo)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uploads/s")
	})
}

// bareUpload is the three steps by hand: the API calls as POST forms with
// the token in the header, the file as multipart, the answers decoded.
func bareUpload(b *testing.B, ctx context.Context, hc *http.Client, base, tok string, photo []byte) {
	var server struct {
		Response struct {
			UploadURL string `json:"upload_url"`
		} `json:"response"`
	}
	bareCall(b, ctx, hc, base, tok, "photos.getMessagesUploadServer", url.Values{"peer_id": {"1"}}, &server)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "bench.png")
	_, _ = fw.Write(photo)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server.Response.UploadURL, &body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var up struct {
		Server int64  `json:"server"`
		Photo  string `json:"photo"`
		Hash   string `json:"hash"`
	}
	do(b, hc, req, &up)
	var saved struct {
		Response []struct {
			ID      int64 `json:"id"`
			OwnerID int64 `json:"owner_id"`
		} `json:"response"`
	}
	bareCall(b, ctx, hc, base, tok, "photos.saveMessagesPhoto",
		url.Values{"server": {jsonInt(up.Server)}, "photo": {up.Photo}, "hash": {up.Hash}}, &saved)
	if len(saved.Response) != 1 || saved.Response[0].ID == 0 {
		b.Fatal("bare upload: nothing saved")
	}
}

func jsonInt(n int64) string { s, _ := json.Marshal(n); return string(s) }

func bareCall(b *testing.B, ctx context.Context, hc *http.Client, base, tok, method string, form url.Values, out any) {
	form.Set("v", "5.199")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/method/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	do(b, hc, req, out)
}

func do(b *testing.B, hc *http.Client, req *http.Request, out any) {
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %v", req.URL.Path, resp.StatusCode, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		b.Fatal(err)
	}
}
