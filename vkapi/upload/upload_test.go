package upload_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

// recorder is an http.RoundTripper that records what goes to the upload
// servers and can act before a request is sent.
type recorder struct {
	mu      sync.Mutex
	posts   int
	leaks   []string
	before  func(n int, r *http.Request)
	wrapped http.RoundTripper
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rc.mu.Lock()
	rc.posts++
	n := rc.posts
	if r.Header.Get("Authorization") != "" || r.URL.Query().Get("access_token") != "" {
		rc.leaks = append(rc.leaks, r.URL.Path)
	}
	before := rc.before
	rc.mu.Unlock()
	if before != nil {
		before(n, r)
	}
	return rc.wrapped.RoundTrip(r)
}

type env struct {
	mock   *vkmock.Server
	client *vkapi.Client
	up     *upload.Uploader
	rec    *recorder
	tr     *http.Transport
}

// setup makes a mock, a client of the kind's token, and an Uploader with
// short backoffs.
func setup(t *testing.T, kind vkmock.TokenKind, opts ...vkmock.Option) *env {
	t.Helper()
	s := vkmocktest.NewServer(t, append([]vkmock.Option{vkmock.WithRateLimits(false)}, opts...)...)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	k := vkapi.KindUser
	if kind == vkmock.TokenGroup {
		k = vkapi.KindGroup
	}
	c := vkapi.New(s.Tokens().Of(kind).Token, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(k),
		vkapi.WithHTTPClient(&http.Client{Transport: tr}),
		vkapi.WithLimit(vkapi.Limit{Per: 10 * time.Millisecond, User: 1000, Group: 1000}),
		vkapi.WithRetry(vkapi.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	rec := &recorder{wrapped: http.DefaultTransport.(*http.Transport).Clone()}
	up := upload.New(c, upload.Config{HTTPClient: &http.Client{Transport: rec}, Policy: upload.Policy{Backoff: time.Millisecond}})
	t.Cleanup(func() {
		up.Close()
		tr.CloseIdleConnections()
		rec.wrapped.(*http.Transport).CloseIdleConnections()
		if n := s.Uploads().Stored().TokensSeen; n != 0 {
			t.Errorf("the upload endpoint saw a token %d times", n)
		}
		if len(rec.leaks) != 0 {
			t.Errorf("token sent to upload servers: %v", rec.leaks)
		}
	})
	return &env{mock: s, client: c, up: up, rec: rec, tr: tr}
}

// calls counts the requests of a method in the mock's log.
func calls(s *vkmock.Server, method string) int {
	n := 0
	for _, r := range s.Requests().All() {
		if r.Method == method {
			n++
		}
	}
	return n
}

func TestMessagePhotoAndDoc(t *testing.T) {
	e := setup(t, vkmock.TokenGroup)
	ctx := context.Background()
	p, err := e.up.MessagePhoto(ctx, 2000000001, upload.Bytes("cat.png", testimg.PNG(t, 20, 10, 1)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.up.MessageDoc(ctx, 2000000001, upload.Reader("notes.txt", strings.NewReader("hello, VK")))
	if err != nil {
		t.Fatal(err)
	}
	st := e.mock.Uploads().Stored().Stored
	if len(st) != 2 || st[0].Attachments[0] != p.Attachment() || st[1].Attachments[0] != d.Attachment() {
		t.Fatalf("stored %+v; got %s and %s", st, p.Attachment(), d.Attachment())
	}
	if !strings.HasPrefix(p.Attachment(), "photo-") || p.Sizes[0].Width != 20 || d.Type != "doc" || d.Title != "notes.txt" || d.Size != 9 {
		t.Fatalf("photo %+v, doc %+v", p, d)
	}
	// Only steps 1 and 3 are API calls.
	if n := calls(e.mock, "photos.getMessagesUploadServer") + calls(e.mock, "photos.saveMessagesPhoto"); n != 2 {
		t.Fatalf("%d API calls for one photo, want 2", n)
	}
}

func TestWallAlbumDocOwner(t *testing.T) {
	e := setup(t, vkmock.TokenUser)
	ctx := context.Background()
	img := upload.Bytes("a.png", testimg.PNG(t, 8, 8, 2))
	w, err := e.up.WallPhoto(ctx, 0, img)
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.up.AlbumPhoto(ctx, 55, 0, upload.Bytes("b.png", testimg.PNG(t, 8, 8, 3)))
	if err != nil || a.AlbumID != 55 {
		t.Fatalf("album photo %+v: %v", a, err)
	}
	d, err := e.up.Doc(ctx, 0, upload.Bytes("r.pdf", []byte("%PDF")))
	if err != nil || d.Ext != "pdf" {
		t.Fatalf("doc %+v: %v", d, err)
	}
	wd, err := e.up.WallDoc(ctx, 0, upload.Bytes("r.zip", []byte("PK..")))
	if err != nil || wd.Ext != "zip" {
		t.Fatalf("wall doc %+v: %v", wd, err)
	}
	o, err := e.up.OwnerPhoto(ctx, 0, upload.Bytes("me.png", testimg.PNG(t, 9, 9, 4)))
	if err != nil || o.Saved != 1 {
		t.Fatalf("owner photo %+v: %v", o, err)
	}
	if n := len(e.mock.Uploads().Stored().Stored); n != 5 || w.AlbumID != -14 {
		t.Fatalf("%d stored, wall album %d", n, w.AlbumID)
	}
}

func TestFile(t *testing.T) {
	e := setup(t, vkmock.TokenGroup)
	path := t.TempDir() + "/pic.png"
	if err := writeFile(path, testimg.PNG(t, 3, 3, 5)); err != nil {
		t.Fatal(err)
	}
	p, err := e.up.MessagePhoto(context.Background(), 1, upload.File(path))
	if err != nil || e.mock.Uploads().Stored().Stored[0].Files[0].Name != "pic.png" {
		t.Fatalf("%+v %v", p, err)
	}
	_, err = e.up.MessagePhoto(context.Background(), 1, upload.File(path+".missing"))
	var ue *upload.Error
	if !errors.As(err, &ue) || !errors.Is(err, errNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestRemedies: each failure gets its remedy, and the upload is saved
// exactly once.
func TestRemedies(t *testing.T) {
	cases := []struct {
		name   string
		fault  vkmock.Fault
		chains int // step 1 calls
		posts  int // POSTs to the upload server
		saves  int // save calls
	}{
		{"upload 502: same URL", vkmock.Fault{Method: "upload.photo", HTTPStatus: 502}, 1, 2, 1},
		{"upload reset: same URL", vkmock.Fault{Method: "upload.photo", Effect: "reset"}, 1, 2, 1},
		{"upload truncated: same URL", vkmock.Fault{Method: "upload.photo", Phase: "after", Effect: "truncate"}, 1, 2, 1},
		{"upload error 10: same URL", vkmock.Fault{Method: "upload.photo", Error: &vkerr.Error{Code: vkerr.Server}}, 1, 2, 1},
		{"expired URL: new chain", vkmock.Fault{Method: "upload.photo", Upload: "expired"}, 2, 2, 1},
		{"photo []: new chain", vkmock.Fault{Method: "upload.photo", Upload: "empty"}, 2, 2, 1},
		{"story shape: new chain", vkmock.Fault{Method: "upload.photo", Upload: "story"}, 2, 2, 1},
		{"lead form shape: new chain", vkmock.Fault{Method: "upload.photo", Upload: "lead_form"}, 2, 2, 1},
		{"video shape: new chain", vkmock.Fault{Method: "upload.photo", Upload: "video"}, 2, 2, 1},
		{"upload 403: new chain", vkmock.Fault{Method: "upload.photo", HTTPStatus: 403}, 2, 2, 1},
		{"save 121: new chain", vkmock.Fault{Method: "photos.saveMessagesPhoto", Error: &vkerr.Error{Code: vkerr.ParamHash}}, 2, 2, 2},
		{"save 100: new chain", vkmock.Fault{Method: "photos.saveMessagesPhoto", Error: &vkerr.Error{Code: vkerr.Param}}, 2, 2, 2},
		{"save answer lost: same save", vkmock.Fault{Method: "photos.saveMessagesPhoto", Phase: "after", Effect: "reset"}, 1, 1, 2},
		{"save 10 after saving: same save", vkmock.Fault{Method: "photos.saveMessagesPhoto", Phase: "after", Error: &vkerr.Error{Code: vkerr.Server}}, 1, 1, 2},
		{"save truncated: same save", vkmock.Fault{Method: "photos.saveMessagesPhoto", Phase: "after", Effect: "truncate"}, 1, 1, 2},
		{"server 10: the client retries", vkmock.Fault{Method: "photos.getMessagesUploadServer", Error: &vkerr.Error{Code: vkerr.Server}}, 2, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, vkmock.TokenGroup)
			f := c.fault
			f.Times = 1
			if _, err := e.mock.Faults().Add(f); err != nil {
				t.Fatal(err)
			}
			p, err := e.up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
			if err != nil {
				t.Fatal(err)
			}
			st := e.mock.Uploads().Stored().Stored
			if len(st) != 1 || st[0].Attachments[0] != p.Attachment() {
				t.Fatalf("stored %+v, got %s", st, p.Attachment())
			}
			got := [3]int{calls(e.mock, "photos.getMessagesUploadServer"), e.rec.posts, calls(e.mock, "photos.saveMessagesPhoto")}
			if got != [3]int{c.chains, c.posts, c.saves} {
				t.Fatalf("step 1, 2, 3 requests %v, want %v", got, [3]int{c.chains, c.posts, c.saves})
			}
		})
	}
}

func TestFailures(t *testing.T) {
	t.Run("file refused: no new chain", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		_, err := e.up.MessageDoc(context.Background(), 1, upload.Bytes("setup.exe", []byte("MZ")))
		var ue *vkerr.UploadError
		var fe *upload.Error
		if !errors.As(err, &ue) || !errors.As(err, &fe) || fe.Step != upload.StepUpload || fe.Chains != 1 || !errors.Is(err, vkerr.Upload) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("always 502: typed error after the policy's limits", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		_, _ = e.mock.Faults().Add(vkmock.Fault{Method: "upload.photo", HTTPStatus: 502})
		_, err := e.up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
		var se *upload.HTTPStatusError
		var fe *upload.Error
		if !errors.As(err, &se) || se.StatusCode != 502 || !errors.As(err, &fe) || fe.Chains != 3 || fe.Attempts != 3 {
			t.Fatalf("%v", err)
		}
		if e.rec.posts != 9 || len(e.mock.Uploads().Stored().Stored) != 0 {
			t.Fatalf("%d posts, %d stored", e.rec.posts, len(e.mock.Uploads().Stored().Stored))
		}
	})
	t.Run("save always lost: outcome unknown, never a new chain", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		_, _ = e.mock.Faults().Add(vkmock.Fault{Method: "photos.saveMessagesPhoto", Phase: "after", Effect: "reset"})
		_, err := e.up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
		var fe *upload.Error
		if !errors.As(err, &fe) || !fe.Unknown || fe.Step != upload.StepSave || fe.Attempts != 4 {
			t.Fatalf("%v", err)
		}
		if n := calls(e.mock, "photos.getMessagesUploadServer"); n != 1 {
			t.Fatalf("%d chains after an unknown save", n)
		}
		if st := e.mock.Uploads().Stored().Stored; len(st) != 1 || st[0].Saves != 4 {
			t.Fatalf("stored %+v", st)
		}
	})
	t.Run("too large", func(t *testing.T) {
		s := vkmocktest.NewServer(t)
		up := upload.New(vkapi.New("x", vkapi.WithBaseURL(s.URL())), upload.Config{Policy: upload.Policy{MaxBytes: 10}})
		defer up.Close()
		_, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", make([]byte, 11)))
		if !errors.Is(err, upload.ErrTooLarge) || len(s.Requests().All()) != 0 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		e := setup(t, vkmock.TokenGroup)
		ctx, cancel := context.WithCancel(context.Background())
		e.rec.before = func(int, *http.Request) { cancel() }
		_, err := e.up.MessagePhoto(ctx, 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	})
}

// TestExpiredURL: a URL that expired on the mock's clock between steps 1
// and 2 gets a new chain.
func TestExpiredURL(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := setup(t, vkmock.TokenGroup, vkmock.WithClock(clock))
	e.rec.before = func(n int, _ *http.Request) {
		if n == 1 {
			mu.Lock()
			now = now.Add(vkmock.UploadURLTTL + time.Second)
			mu.Unlock()
		}
	}
	if _, err := e.up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1))); err != nil {
		t.Fatal(err)
	}
	if n := calls(e.mock, "photos.getMessagesUploadServer"); n != 2 || e.rec.posts != 2 {
		t.Fatalf("%d chains, %d posts", n, e.rec.posts)
	}
}

// TestUploadTakesNoRateBudget: with a budget of two calls an hour, an
// upload (two API calls and a POST) goes through at once.
func TestUploadTakesNoRateBudget(t *testing.T) {
	s := vkmocktest.NewServer(t)
	c := vkapi.New(s.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindGroup),
		vkapi.WithLimit(vkapi.Limit{Per: time.Hour, Group: 2}))
	up := upload.New(c, upload.Config{})
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := up.MessagePhoto(ctx, 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1))); err != nil {
		t.Fatal(err)
	}
	// The budget is used up: a third API call waits (and ends with its
	// context), so the POST took none of it.
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := c.Call(short, "utils.getServerTime", nil, nil); err == nil {
		t.Fatal("a third call went through a budget of two")
	}
}

// TestRedaction: upload URLs' signatures appear in no error and no log
// line.
func TestRedaction(t *testing.T) {
	e := setup(t, vkmock.TokenGroup)
	var logs bytes.Buffer
	up := upload.New(e.client, upload.Config{HTTPClient: &http.Client{Transport: e.rec},
		Policy: upload.Policy{Backoff: time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer up.Close()
	var seen []string
	e.rec.before = func(_ int, r *http.Request) {
		q := r.URL.Query()
		seen = append(seen, q.Get("hash"), q.Get("rhash"), q.Get("_sig"))
	}
	_, _ = e.mock.Faults().Add(vkmock.Fault{Method: "upload.photo", Effect: "reset"})
	_, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1)))
	if err == nil {
		t.Fatal("no error")
	}
	text := err.Error() + logs.String()
	if len(seen) == 0 || !strings.Contains(text, "/upload.php") {
		t.Fatalf("nothing to check: %s", text)
	}
	for _, v := range seen {
		if v == "" || strings.Contains(text, v) {
			t.Fatalf("a signature %q is in the error or the log:\n%s", v, text)
		}
	}
	// The root package's redaction of upload URLs.
	u := "https://pu.vk.com/c1/upload.php?act=do_add&hash=" + seen[0] + "&rhash=" + seen[1] + "&_sig=" + seen[2]
	if r := vkerr.RedactString(u); strings.Contains(r, seen[0]) || strings.Contains(r, seen[1]) || strings.Contains(r, seen[2]) {
		t.Errorf("vkerr.RedactString leaves an upload signature: %s", r)
	}
}

func TestNoLeak(t *testing.T) {
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c := vkapi.New(s.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(s.URL()), vkapi.WithTokenKind(vkapi.KindGroup),
		vkapi.WithHTTPClient(&http.Client{Transport: tr}))
	up := upload.New(c, upload.Config{})
	if _, err := up.MessagePhoto(context.Background(), 1, upload.Bytes("a.png", testimg.PNG(t, 4, 4, 1))); err != nil {
		t.Fatal(err)
	}
	up.Close()
	tr.CloseIdleConnections()
}

func TestAlbumPhotos(t *testing.T) {
	e := setup(t, vkmock.TokenUser)
	var srcs []upload.Source
	for i := range 3 {
		srcs = append(srcs, upload.Bytes("p"+strconv.Itoa(i)+".png", testimg.PNG(t, 5+i, 5, 40+i)))
	}
	_, _ = e.mock.Faults().Add(vkmock.Fault{Method: "upload.photo", Effect: "reset", Times: 1})
	ps, err := e.up.AlbumPhotos(context.Background(), 12, 0, srcs...)
	if err != nil || len(ps) != 3 || ps[2].Sizes[0].Width != 7 || ps[0].AlbumID != 12 {
		t.Fatalf("%+v %v", ps, err)
	}
	st := e.mock.Uploads().Stored().Stored
	if len(st) != 1 || len(st[0].Files) != 3 || st[0].Attachments[1] != ps[1].Attachment() || e.rec.posts != 2 {
		t.Fatalf("stored %+v, %d posts", st, e.rec.posts)
	}
	if _, err := e.up.AlbumPhotos(context.Background(), 12, 0, append(srcs, srcs...)...); err == nil {
		t.Fatal("six photos accepted")
	}
}
