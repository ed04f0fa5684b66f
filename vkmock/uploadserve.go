package vkmock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	_ "image/gif"  // photos may be GIF
	_ "image/jpeg" // photos may be JPEG
	_ "image/png"  // photos may be PNG
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// The upload endpoint: POST multipart/form-data to an upload_url. It
// checks the URL's signature and age, the fault rules, the body and the
// image, in that order, and answers HTTP 200 with JSON as VK's upload
// servers do; docs/vkmock-design.md ("The upload endpoint") has the table
// of checks and of Fault.Upload's shapes.

// blockedDocExts are the document types VK refuses.
var blockedDocExts = map[string]bool{"exe": true, "msi": true, "bat": true, "cmd": true, "com": true, "scr": true, "vbs": true, "apk": true, "mp3": true}

const (
	upNotUploaded = "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"
	upBadSig      = "ERR_UPLOAD_BAD_SIGNATURE: upload url signature is invalid"
	upExpired     = "ERR_UPLOAD_URL_EXPIRED: upload url has expired"
	upTooLarge    = "ERR_UPLOAD_FILE_TOO_LARGE: file is too large"
	upBadType     = "ERR_UPLOAD_FILE_TYPE_NOT_ALLOWED: this file type is not allowed"
	upBadSize     = "ERR_UPLOAD_BAD_IMAGE_SIZE: bad image size"
)

// maxUploadParts bounds the parts of an upload body.
const maxUploadParts = 32

// uploadErrorBody is an upload server's error with VK's sibling fields:
// {"error":"ERR_UPLOAD_…: …","bwact":"do_add","server":N,"_sig":"…"}, as
// a real one pasted in public code shows (upload server's action, number
// and a signature of the answer; the mock signs the text and server).
func (s *Server) uploadErrorBody(c urlClaims, msg string) []byte {
	sig := s.uploads.mac("error", msg, strconv.FormatInt(c.server, 10))
	if len(sig) > 32 {
		sig = sig[:32]
	}
	b, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Bwact  string `json:"bwact"`
		Server int64  `json:"server"`
		Sig    string `json:"_sig"`
	}{msg, "do_add", c.server, sig})
	return b
}

// serveUpload serves POST /upload/cN/upload.php.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	s.uploads.init()
	now := s.now()
	q := r.URL.Query()
	if v := q.Get("access_token"); v != "" {
		s.uploads.sawToken(now, "query access_token")
	}
	if r.Header.Get("Authorization") != "" {
		s.uploads.sawToken(now, "header Authorization")
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			writeBody(w, s.uploadErrorBody(urlClaims{}, "ERR_UPLOAD_INTERNAL: vkmock internal error"), false)
		}
	}()
	c, expired, tampered := s.checkUploadURL(q)
	switch {
	case tampered:
		writeBody(w, s.uploadErrorBody(c, upBadSig), false)
		return
	case expired:
		writeBody(w, s.uploadErrorBody(c, upExpired), false)
		return
	}
	name := "upload.photo"
	if c.target == targetDoc {
		name = "upload.doc"
	}
	vq := &vkRequest{Name: name, TLS: r.TLS != nil, Host: r.Host}
	for k, vs := range q {
		if k == "_sig" || k == "hash" || k == "rhash" {
			continue
		}
		for _, v := range vs {
			vq.Params = append(vq.Params, kv{Key: k, Value: v})
		}
	}
	truncate := false
	if f := s.matchFault(vq, vkerr.KindUnknown, nil, phaseBefore, false); f != nil {
		if s.applyUploadFault(w, r, f, c) {
			return
		}
		truncate = f.Effect == "truncate"
	}
	body, msg := s.receiveUpload(w, r, c)
	if msg != "" {
		body = s.uploadErrorBody(c, msg)
	}
	if f := s.matchFault(vq, vkerr.KindUnknown, nil, phaseAfter, false); f != nil {
		if s.applyUploadFault(w, r, f, c) {
			return
		}
		truncate = truncate || f.Effect == "truncate"
	}
	writeBody(w, body, truncate)
}

// applyUploadFault applies a rule at the upload endpoint; it reports
// whether it answered. A truncation (the upload done, its answer cut
// short) and a latency alone leave the answer to the caller.
func (s *Server) applyUploadFault(w http.ResponseWriter, r *http.Request, f *Fault, c urlClaims) bool {
	if d := s.delay(f); d > 0 {
		if !s.sleep(r.Context(), d) {
			return true
		}
	}
	code := 1
	if f.Error != nil && f.Error.Code > 0 {
		code = int(f.Error.Code)
	}
	var b []byte
	switch {
	case f.HTTPStatus != 0:
		writeHTML(w, f.HTTPStatus)
		return true
	case f.Effect == "reset":
		resetConn(w)
		return true
	case f.Effect == "stall":
		s.stall(r.Context())
		resetConn(w)
		return true
	case f.Upload == "docs":
		msg := upNotUploaded
		if f.Suffix != "" {
			msg = f.Suffix
		}
		b = s.uploadErrorBody(c, msg)
	case f.Upload == "video":
		b, _ = json.Marshal(map[string]any{"error_code": code, "error_descr": "upload failed", "error_is_logged": true})
	case f.Upload == "story":
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"error_code": code, "type": "upload_error"}})
	case f.Upload == "lead_form":
		b, _ = json.Marshal(map[string]any{"errcode": code})
	case f.Upload == "expired":
		b = s.uploadErrorBody(c, upExpired)
	case f.Upload == "empty":
		b = emptyUploadAnswer(c)
	case f.Error != nil:
		e := s.faultError(f, &vkRequest{Name: "upload"})
		b, _ = json.Marshal(vkerr.Envelope{Error: e})
	default:
		return false // latency, truncation
	}
	writeBody(w, b, f.Effect == "truncate")
	return true
}

// emptyUploadAnswer is the silent failure of an upload server.
func emptyUploadAnswer(c urlClaims) []byte {
	switch c.target {
	case targetDoc:
		return []byte(`{"file":""}`)
	case targetAlbum:
		return []byte(`{"server":` + strconv.FormatInt(c.server, 10) + `,"photos_list":"[]","aid":` + strconv.FormatInt(c.aid, 10) + `,"hash":"00000000000000000000000000000000"}`)
	}
	return []byte(`{"server":` + strconv.FormatInt(c.server, 10) + `,"photo":"[]","hash":"00000000000000000000000000000000"}`)
}

// receivedFile is a file of an upload body.
type receivedFile struct {
	ref  FileRef
	ext  string
	data []byte // photos only
}

// receiveUpload reads the body, checks its files and keeps the upload: the
// answer, or the text of an upload error.
func (s *Server) receiveUpload(w http.ResponseWriter, r *http.Request, c urlClaims) ([]byte, string) {
	if r.Method != http.MethodPost {
		return nil, upNotUploaded
	}
	photo := c.target != targetDoc
	perFile := int64(MaxUploadPhotoBytes)
	fields := map[string]bool{"photo": true}
	maxFiles := 1
	switch c.target {
	case targetDoc:
		perFile, fields = MaxUploadDocBytes, map[string]bool{"file": true}
	case targetAlbum:
		fields = map[string]bool{"file1": true, "file2": true, "file3": true, "file4": true, "file5": true, "photo": true}
		maxFiles = 5
	}
	r.Body = http.MaxBytesReader(w, r.Body, perFile*int64(maxFiles)+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, upNotUploaded
	}
	var files []receivedFile
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || parts >= maxUploadParts {
			return nil, upNotUploaded
		}
		if p.FormName() == "access_token" {
			s.uploads.sawToken(s.now(), "form access_token")
		}
		if !fields[p.FormName()] || p.FileName() == "" || len(files) >= maxFiles {
			_, _ = io.Copy(io.Discard, io.LimitReader(p, perFile+1))
			continue
		}
		f, msg := readUploadFile(p, perFile, photo)
		if msg != "" {
			return nil, msg
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, upNotUploaded
	}
	s.uploads.mu.Lock()
	limits := s.uploads.limits
	s.uploads.mu.Unlock()
	for i := range files {
		f := &files[i]
		if !photo {
			if blockedDocExts[f.ext] {
				return nil, upBadType
			}
			continue
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(f.data))
		if err != nil {
			return emptyUploadAnswer(c), ""
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width+cfg.Height > MaxUploadPhotoSides ||
			cfg.Width > MaxUploadPhotoRatio*cfg.Height || cfg.Height > MaxUploadPhotoRatio*cfg.Width {
			return nil, upBadSize
		}
		if limits.photoTooBig(cfg) {
			return nil, upBadSize // refused before decoding
		}
		if _, _, err := image.Decode(bytes.NewReader(f.data)); err != nil {
			return emptyUploadAnswer(c), ""
		}
		f.ref.Width, f.ref.Height = cfg.Width, cfg.Height
		f.data = nil
	}
	p := &pendingUpload{id: s.uploads.newUploadID(), target: c.target, mid: c.mid, gid: c.gid, aid: c.aid,
		peer: c.peer, dtype: c.dtype, server: c.server, rhash: c.rhash, at: s.now()}
	for _, f := range files {
		p.files = append(p.files, f.ref)
	}
	s.uploads.addPending(p)
	return s.uploadAnswer(p), ""
}

// readUploadFile reads a file part within the limit: its hash and size,
// and its bytes for a photo.
func readUploadFile(p *multipart.Part, limit int64, keep bool) (receivedFile, string) {
	name := p.FileName()
	if len(name) > 255 || !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
		if len(name) > 255 {
			name = name[:255]
			name = strings.ToValidUTF8(name, "")
		}
	}
	ext := docExt(name)
	h := sha256.New()
	var buf bytes.Buffer
	var dst io.Writer = h
	if keep {
		dst = io.MultiWriter(h, &buf)
	}
	n, err := io.Copy(dst, io.LimitReader(p, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return receivedFile{}, upTooLarge
		}
		return receivedFile{}, upNotUploaded
	}
	if n > limit {
		return receivedFile{}, upTooLarge
	}
	if n == 0 {
		return receivedFile{}, upNotUploaded
	}
	return receivedFile{ref: FileRef{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, ext: ext, data: buf.Bytes()}, ""
}

// uploadAnswer is the success answer of an upload: the file fields carry
// the upload id and a signature the save checks.
func (s *Server) uploadAnswer(p *pendingUpload) []byte {
	server := strconv.FormatInt(p.server, 10)
	if p.target == targetDoc {
		f := p.files[0]
		file := strings.Join([]string{strconv.FormatInt(p.mid, 10), "0", "0", server, p.id,
			sanitizeDocField(f.Name), strconv.FormatInt(f.Size, 10), ""}, "|")
		file += "|" + s.uploads.mac("file", file, p.rhash)
		b, _ := json.Marshal(map[string]string{"file": file})
		return b
	}
	type photoItem struct {
		Photo string  `json:"photo"`
		Sizes [][]any `json:"sizes"`
		Kid   string  `json:"kid"`
	}
	items := make([]photoItem, len(p.files))
	for i, f := range p.files {
		items[i] = photoItem{
			Photo: p.id + ":" + strconv.Itoa(i),
			Sizes: [][]any{{"x", server, strconv.Itoa(i), f.SHA256[:11], f.Width, f.Height}},
			Kid:   f.SHA256[:32],
		}
	}
	list, _ := json.Marshal(items)
	hash := s.uploads.mac("photo", p.id, server, string(list), p.rhash)
	if p.target == targetAlbum {
		b, _ := json.Marshal(map[string]any{"server": p.server, "photos_list": string(list), "aid": p.aid, "hash": hash})
		return b
	}
	b, _ := json.Marshal(map[string]any{"server": p.server, "photo": string(list), "hash": hash})
	return b
}

// sanitizeDocField keeps the | separator out of a file name.
func sanitizeDocField(s string) string { return strings.ReplaceAll(s, "|", "_") }

// uploadExpired reports whether an upload answer is too old to save.
func (s *Server) uploadExpired(p *pendingUpload) bool {
	return s.now().Sub(p.at) > UploadResultTTL
}
