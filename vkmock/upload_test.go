package vkmock

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testimg"
)

// uploadURLOf calls a get-upload-server method and returns upload_url.
func uploadURLOf(t testing.TB, s *Server, token, method string, params url.Values) string {
	t.Helper()
	if params == nil {
		params = url.Values{}
	}
	params.Set("v", "5.199")
	params.Set("access_token", token)
	a := call(t, s, method, params)
	if a.code() != 0 {
		t.Fatalf("%s: error %d: %s", method, a.code(), a.body)
	}
	var r struct {
		UploadURL string `json:"upload_url"`
	}
	if err := json.Unmarshal(a.env.Response, &r); err != nil || r.UploadURL == "" {
		t.Fatalf("%s: no upload_url: %s", method, a.body)
	}
	return r.UploadURL
}

// postFiles posts files (field → name → content) as multipart to u.
func postFiles(t testing.TB, s *Server, u string, header http.Header, files ...[3]string) []byte {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		fw, err := mw.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(f[2]))
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, u, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("upload answered %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return b
}

// photoAnswer is a photo upload's answer.
type photoAnswer struct {
	Server     int64  `json:"server"`
	Photo      string `json:"photo"`
	PhotosList string `json:"photos_list"`
	Hash       string `json:"hash"`
}

func decodePhotoAnswer(t testing.TB, b []byte) photoAnswer {
	t.Helper()
	var a photoAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("photo answer %s: %v", b, err)
	}
	return a
}

func saveParams(token string, kv ...string) url.Values {
	v := vals(kv...)
	v.Set("v", "5.199")
	v.Set("access_token", token)
	return v
}

func TestUploadMessagesPhotoSavedOnce(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", vals("peer_id", "2000000001"))
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"act", "mid", "aid", "gid", "hash", "rhash", "api", "_sig"} {
		if pu.Query().Get(k) == "" {
			t.Errorf("upload_url lacks %s: %s", k, u)
		}
	}
	if strings.Contains(u, group) || !strings.HasSuffix(pu.Path, "/upload.php") {
		t.Fatalf("upload_url %s: carries the token or is not upload.php", u)
	}
	img := testimg.PNG(t, 40, 30, 1)
	body := postFiles(t, s, u, nil, [3]string{"photo", "a.png", string(img)})
	ans := decodePhotoAnswer(t, body)
	var items []map[string]any
	if err := json.Unmarshal([]byte(ans.Photo), &items); err != nil || len(items) != 1 || ans.Server == 0 || len(ans.Hash) != 32 {
		t.Fatalf("photo answer not VK's shape (JSON array in a string): %s", body)
	}
	if _, err := vkerr.DecodeUpload(body); err != nil {
		t.Fatalf("DecodeUpload of a good answer: %v", err)
	}
	save := saveParams(group, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash)
	first := call(t, s, "photos.saveMessagesPhoto", save)
	if first.code() != 0 {
		t.Fatalf("save: %s", first.body)
	}
	var photos []struct {
		ID        int64
		OwnerID   int64  `json:"owner_id"`
		AccessKey string `json:"access_key"`
		Sizes     []struct{ Width, Height int }
	}
	if err := json.Unmarshal(first.env.Response, &photos); err != nil || len(photos) != 1 {
		t.Fatalf("save answer: %s", first.body)
	}
	if photos[0].Sizes[0].Width != 40 || photos[0].Sizes[0].Height != 30 || photos[0].OwnerID != -DefaultGroupID {
		t.Errorf("saved photo %+v", photos[0])
	}
	again := call(t, s, "photos.saveMessagesPhoto", save)
	if !bytes.Equal(first.env.Response, again.env.Response) {
		t.Fatalf("a second save of the same upload answered another object:\n%s\n%s", first.body, again.body)
	}
	st := s.Uploads().Stored()
	if len(st.Stored) != 1 || st.Stored[0].Saves != 2 || st.Pending != 0 || st.TokensSeen != 0 {
		t.Fatalf("uploads state %+v", st)
	}
	want := "photo" + itoa(photos[0].OwnerID) + "_" + itoa(photos[0].ID) + "_" + photos[0].AccessKey
	if st.Stored[0].Attachments[0] != want || st.Stored[0].Files[0].Width != 40 {
		t.Errorf("stored %+v, want attachment %s", st.Stored[0], want)
	}
	// The control API lists the same.
	resp, err := http.Get(s.URL() + "/__vkmock/uploads")
	if err != nil {
		t.Fatal(err)
	}
	var ctl UploadsState
	err = json.NewDecoder(resp.Body).Decode(&ctl)
	resp.Body.Close()
	if err != nil || len(ctl.Stored) != 1 || ctl.Stored[0].UploadID != st.Stored[0].UploadID {
		t.Fatalf("GET /__vkmock/uploads: %+v %v", ctl, err)
	}
}

func itoa(n int64) string { return jsonNumber(n) }

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestUploadSaveChecks(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	other, err := s.Tokens().Create(Token{Kind: TokenUser, UserID: 7})
	if err != nil {
		t.Fatal(err)
	}
	u := uploadURLOf(t, s, user, "photos.getWallUploadServer", nil)
	ans := decodePhotoAnswer(t, postFiles(t, s, u, nil, [3]string{"photo", "w.png", string(testimg.PNG(t, 8, 8, 2))}))
	cases := []struct {
		name   string
		method string
		params url.Values
		code   vkerr.Code
	}{
		{"empty photo", "photos.saveWallPhoto", saveParams(user, "server", itoa(ans.Server), "photo", "[]", "hash", ans.Hash), vkerr.Param},
		{"other server", "photos.saveWallPhoto", saveParams(user, "server", "1", "photo", ans.Photo, "hash", ans.Hash), vkerr.ParamServer},
		{"no server", "photos.saveWallPhoto", saveParams(user, "photo", ans.Photo, "hash", ans.Hash), vkerr.ParamServer},
		{"bad hash", "photos.saveWallPhoto", saveParams(user, "server", itoa(ans.Server), "photo", ans.Photo, "hash", strings.Repeat("0", 32)), vkerr.ParamHash},
		{"other token", "photos.saveWallPhoto", saveParams(other.Token, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash), vkerr.ParamHash},
		{"other save method", "photos.saveMessagesPhoto", saveParams(user, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash), vkerr.Param},
		{"owner photo, empty", "photos.saveOwnerPhoto", saveParams(user, "server", itoa(ans.Server), "photo", "[]", "hash", ans.Hash), vkerr.ParamPhoto},
		{"docs, garbage", "docs.save", saveParams(user, "file", "1|2|3"), vkerr.Upload},
	}
	for _, c := range cases {
		a := call(t, s, c.method, c.params)
		if a.code() != c.code {
			t.Errorf("%s: got %d, want %d: %s", c.name, a.code(), c.code, a.body)
		}
	}
	if n := len(s.Uploads().Stored().Stored); n != 0 {
		t.Fatalf("%d uploads stored by failed saves", n)
	}
	ok := call(t, s, "photos.saveWallPhoto", saveParams(user, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
	if ok.code() != 0 {
		t.Fatalf("good save: %s", ok.body)
	}
}

func TestUploadDocAndAlbum(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	group := s.Tokens().Of(TokenGroup).Token

	u := uploadURLOf(t, s, group, "docs.getMessagesUploadServer", vals("peer_id", "1", "type", "doc"))
	body := postFiles(t, s, u, nil, [3]string{"file", "report.pdf", "%PDF-1.4 hello"})
	var doc struct{ File string }
	if err := json.Unmarshal(body, &doc); err != nil || doc.File == "" {
		t.Fatalf("doc answer %s", body)
	}
	a := call(t, s, "docs.save", saveParams(group, "file", doc.File, "title", "Report"))
	var saved struct {
		Type string
		Doc  struct {
			ID, OwnerID int64
			Title, Ext  string
			Size        int64
		}
	}
	if a.code() != 0 || json.Unmarshal(a.env.Response, &saved) != nil || saved.Type != "doc" || saved.Doc.Title != "Report" ||
		saved.Doc.Ext != "pdf" || saved.Doc.Size != int64(len("%PDF-1.4 hello")) {
		t.Fatalf("docs.save: %s", a.body)
	}

	// A refused type.
	u = uploadURLOf(t, s, user, "docs.getUploadServer", nil)
	body = postFiles(t, s, u, nil, [3]string{"file", "setup.exe", "MZ..."})
	var ue *vkerr.UploadError
	if _, err := vkerr.DecodeUpload(body); !errors.As(err, &ue) || ue.Shape != "docs" || !strings.HasPrefix(ue.Message, "ERR_UPLOAD_FILE_TYPE") {
		t.Fatalf("exe upload: %s", body)
	}
	// No file.
	body = postFiles(t, s, u, nil, [3]string{"other", "x.txt", "x"})
	if !strings.Contains(string(body), "ERR_UPLOAD_FILE_NOT_UPLOADED") {
		t.Fatalf("no file: %s", body)
	}

	// An album takes file1..file5.
	u = uploadURLOf(t, s, user, "photos.getUploadServer", vals("album_id", "77"))
	body = postFiles(t, s, u, nil, [3]string{"file1", "1.png", string(testimg.PNG(t, 5, 5, 1))}, [3]string{"file2", "2.png", string(testimg.PNG(t, 6, 5, 2))})
	ans := decodePhotoAnswer(t, body)
	a = call(t, s, "photos.save", saveParams(user, "album_id", "77", "server", itoa(ans.Server), "photos_list", ans.PhotosList, "hash", ans.Hash))
	var photos []struct {
		ID      int64
		AlbumID int64 `json:"album_id"`
	}
	if a.code() != 0 || json.Unmarshal(a.env.Response, &photos) != nil || len(photos) != 2 || photos[1].AlbumID != 77 {
		t.Fatalf("photos.save: %s", a.body)
	}

	// An owner photo.
	u = uploadURLOf(t, s, user, "photos.getOwnerPhotoUploadServer", nil)
	ans = decodePhotoAnswer(t, postFiles(t, s, u, nil, [3]string{"photo", "me.png", string(testimg.PNG(t, 9, 9, 3))}))
	a = call(t, s, "photos.saveOwnerPhoto", saveParams(user, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
	if a.code() != 0 || !strings.Contains(string(a.body), `"saved":1`) {
		t.Fatalf("saveOwnerPhoto: %s", a.body)
	}
	if n := len(s.Uploads().Stored().Stored); n != 3 {
		t.Fatalf("%d stored, want 3", n)
	}
}

func TestUploadFileChecks(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
	// Not an image: VK's silent failure.
	body := postFiles(t, s, u, nil, [3]string{"photo", "a.png", "not an image at all"})
	var ue *vkerr.UploadError
	if _, err := vkerr.DecodeUpload(body); !errors.As(err, &ue) || ue.Shape != "empty" {
		t.Fatalf("not an image: %s", body)
	}
	ans := decodePhotoAnswer(t, body)
	a := call(t, s, "photos.saveMessagesPhoto", saveParams(group, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
	if a.code() != vkerr.Param {
		t.Fatalf("save of an empty upload: %s", a.body)
	}
	// A truncated PNG decodes its header only: still not an image.
	img := testimg.PNG(t, 30, 30, 5)
	body = postFiles(t, s, u, nil, [3]string{"photo", "a.png", string(img[:len(img)-20])})
	if _, err := vkerr.DecodeUpload(body); !errors.As(err, &ue) || ue.Shape != "empty" {
		t.Fatalf("truncated image: %s", body)
	}
	// Sides out of ratio.
	body = postFiles(t, s, u, nil, [3]string{"photo", "a.png", string(testimg.PNG(t, 210, 10, 1))})
	if !strings.Contains(string(body), "ERR_UPLOAD_BAD_IMAGE_SIZE") {
		t.Fatalf("ratio 21: %s", body)
	}
}

func TestUploadURLExpiredOrTampered(t *testing.T) {
	clk := newFakeClock()
	s := testServer(t, WithRateLimits(false), WithClock(clk.Now))
	group := s.Tokens().Of(TokenGroup).Token
	u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
	img := string(testimg.PNG(t, 4, 4, 1))
	for _, tamper := range []func(url.Values){
		func(v url.Values) { v.Set("mid", "1") },
		func(v url.Values) { v.Set("exp", "99999999999") },
		func(v url.Values) { v.Del("_sig") },
		func(v url.Values) { v.Set("_sig", strings.Repeat("a", 32)) },
	} {
		pu, _ := url.Parse(u)
		q := pu.Query()
		tamper(q)
		pu.RawQuery = q.Encode()
		body := postFiles(t, s, pu.String(), nil, [3]string{"photo", "a.png", img})
		if !strings.Contains(string(body), "ERR_UPLOAD_BAD_SIGNATURE") {
			t.Errorf("tampered %s: %s", pu.RawQuery, body)
		}
	}
	clk.Advance(UploadURLTTL + time.Second)
	body := postFiles(t, s, u, nil, [3]string{"photo", "a.png", img})
	var ue *vkerr.UploadError
	if _, err := vkerr.DecodeUpload(body); !errors.As(err, &ue) || !strings.HasPrefix(ue.Message, "ERR_UPLOAD_URL_EXPIRED") {
		t.Fatalf("expired: %s", body)
	}
	// An answer older than UploadResultTTL cannot be saved.
	u = uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
	ans := decodePhotoAnswer(t, postFiles(t, s, u, nil, [3]string{"photo", "a.png", img}))
	clk.Advance(UploadResultTTL + time.Second)
	a := call(t, s, "photos.saveMessagesPhoto", saveParams(group, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
	if a.code() != vkerr.Param {
		t.Fatalf("save of a stale upload: %s", a.body)
	}
}

func TestUploadFaultShapes(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	img := string(testimg.PNG(t, 4, 4, 1))
	cases := []struct {
		fault Fault
		shape string
		code  vkerr.Code // an API error instead of an upload shape
	}{
		{Fault{Upload: "docs", Suffix: "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"}, "docs", 0},
		{Fault{Upload: "video", Error: &vkerr.Error{Code: 3}}, "video", 0},
		{Fault{Upload: "story", Error: &vkerr.Error{Code: 1}}, "story", 0},
		{Fault{Upload: "lead_form"}, "lead_form", 0},
		{Fault{Upload: "empty"}, "empty", 0},
		{Fault{Upload: "expired"}, "docs", 0},
		{Fault{Error: &vkerr.Error{Code: vkerr.Server}}, "", vkerr.Server},
	}
	for _, c := range cases {
		s.Faults().Clear()
		f := c.fault
		f.Method, f.Times = "upload.photo", 1
		if _, err := s.Faults().Add(f); err != nil {
			t.Fatal(err)
		}
		u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
		body := postFiles(t, s, u, nil, [3]string{"photo", "a.png", img})
		_, err := vkerr.DecodeUpload(body)
		var ue *vkerr.UploadError
		var ve *vkerr.Error
		switch {
		case c.code != 0:
			if !errors.As(err, &ve) || ve.Code != c.code {
				t.Errorf("%+v: %s → %v", c.fault, body, err)
			}
		case !errors.As(err, &ue) || ue.Shape != c.shape:
			t.Errorf("%+v: %s → %v", c.fault, body, err)
		}
		// The rule fired once: the next upload goes through.
		if _, err := vkerr.DecodeUpload(postFiles(t, s, u, nil, [3]string{"photo", "a.png", img})); err != nil {
			t.Errorf("after %+v: %v", c.fault, err)
		}
	}
	// Upload shapes need an upload method.
	if _, err := s.Faults().Add(Fault{Method: "*", Upload: "docs"}); err == nil {
		t.Error("a rule of method * with an upload shape was accepted")
	}
	if _, err := s.Faults().Add(Fault{Method: "upload.doc", Upload: "nope"}); err == nil {
		t.Error("an unknown upload shape was accepted")
	}
	// Every effect: a 5xx page, a reset, a truncation after the upload.
	s.Faults().Clear()
	pending := s.Uploads().Stored().Pending
	_, _ = s.Faults().Add(Fault{Method: "upload.doc", HTTPStatus: 502, Times: 1})
	_, _ = s.Faults().Add(Fault{Method: "upload.doc", Phase: "after", Effect: "truncate", Times: 1})
	u := uploadURLOf(t, s, group, "docs.getMessagesUploadServer", nil)
	for i, want := range []string{"502", "truncated"} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "a.txt")
		_, _ = fw.Write([]byte("hello"))
		_ = mw.Close()
		resp, err := s.HTTPClient().Post(u, mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch i {
		case 0:
			if resp.StatusCode != 502 {
				t.Errorf("want %s, got %d %s", want, resp.StatusCode, b)
			}
		case 1:
			if rerr == nil {
				t.Errorf("want %s, read all of %s", want, b)
			}
		}
	}
	if n := s.Uploads().Stored().Pending; n != pending+1 {
		t.Errorf("the truncated upload was not kept: pending %d", n)
	}
	// A truncation of phase before: the upload is done too, its answer cut.
	s.Faults().Clear()
	_, _ = s.Faults().Add(Fault{Method: "upload.doc", Effect: "truncate", Times: 1})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "b.txt")
	_, _ = fw.Write([]byte("hello again"))
	_ = mw.Close()
	resp, err := s.HTTPClient().Post(u, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr == nil || s.Uploads().Stored().Pending != pending+2 {
		t.Errorf("before-truncate: read %q (%v), pending %d", b, rerr, s.Uploads().Stored().Pending)
	}
}

func TestUploadRecordsTokens(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	u := uploadURLOf(t, s, group, "docs.getMessagesUploadServer", nil)
	postFiles(t, s, u, http.Header{"Authorization": {"Bearer " + group}}, [3]string{"file", "a.txt", "x"})
	postFiles(t, s, u+"&access_token="+group, nil, [3]string{"file", "a.txt", "x"})
	postFiles(t, s, u, nil, [3]string{"access_token", "t", group}, [3]string{"file", "a.txt", "x"})
	st := s.Uploads().Stored()
	if st.TokensSeen != 3 || len(st.TokenSightings) != 3 {
		t.Fatalf("sightings %+v", st)
	}
	b, _ := json.Marshal(st)
	if strings.Contains(string(b), group) {
		t.Fatal("the uploads state holds a token")
	}
}

// TestUploadResetForgets: Reset forgets the pending and the stored
// uploads (their bounds are tested in internal/uploads).
func TestUploadResetForgets(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	var answers []photoAnswer
	for i := range 2 {
		u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
		answers = append(answers, decodePhotoAnswer(t, postFiles(t, s, u, nil, [3]string{"photo", "a.png", string(testimg.PNG(t, 4, 4, i))})))
	}
	ans := answers[0]
	if a := call(t, s, "photos.saveMessagesPhoto", saveParams(group, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash)); a.code() != 0 {
		t.Fatal(string(a.body))
	}
	if st := s.Uploads().Stored(); len(st.Stored) != 1 || st.Pending != 1 {
		t.Fatalf("before Reset: %+v", st)
	}
	s.Reset()
	if st := s.Uploads().Stored(); len(st.Stored) != 0 || st.Pending != 0 {
		t.Fatalf("Reset kept uploads: %+v", st)
	}
}
