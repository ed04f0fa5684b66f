package uploads

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
)

// Reading an upload body: its files within their bounds, the document
// types VK refuses, a photo's header checked before it is decoded, and
// the answer that the save methods check.

// blockedDocExts are the document types VK refuses.
var blockedDocExts = map[string]bool{"exe": true, "msi": true, "bat": true, "cmd": true, "com": true, "scr": true, "vbs": true, "apk": true, "mp3": true}

// maxParts bounds the parts of an upload body.
const maxParts = 32

// received is a file of an upload body.
type received struct {
	ref  FileRef
	ext  string
	data []byte // photos only
}

// receive reads the body, checks its files and keeps the upload: the
// answer, or the text of an upload error.
func (r *Room) receive(w http.ResponseWriter, req *http.Request, c urlClaims) ([]byte, string) {
	if req.Method != http.MethodPost {
		return nil, upNotUploaded
	}
	photo := c.target != targetDoc
	perFile := int64(MaxPhotoBytes)
	fields := map[string]bool{"photo": true}
	maxFiles := 1
	switch c.target {
	case targetDoc:
		perFile, fields = MaxDocBytes, map[string]bool{"file": true}
	case targetAlbum:
		fields = map[string]bool{"file1": true, "file2": true, "file3": true, "file4": true, "file5": true, "photo": true}
		maxFiles = 5
	}
	req.Body = http.MaxBytesReader(w, req.Body, perFile*int64(maxFiles)+1<<20)
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, upNotUploaded
	}
	var files []received
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || parts >= maxParts {
			return nil, upNotUploaded
		}
		if p.FormName() == "access_token" {
			r.sawToken(r.now(), "form access_token")
		}
		if !fields[p.FormName()] || p.FileName() == "" || len(files) >= maxFiles {
			_, _ = io.Copy(io.Discard, io.LimitReader(p, perFile+1))
			continue
		}
		f, msg := readFile(p, perFile, photo)
		if msg != "" {
			return nil, msg
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, upNotUploaded
	}
	limits := r.Limits()
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
			return emptyAnswer(c), ""
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width+cfg.Height > MaxPhotoSides ||
			cfg.Width > MaxPhotoRatio*cfg.Height || cfg.Height > MaxPhotoRatio*cfg.Width {
			return nil, upBadSize
		}
		if limits.photoTooBig(cfg) {
			return nil, upBadSize // refused before decoding
		}
		if _, _, err := image.Decode(bytes.NewReader(f.data)); err != nil {
			return emptyAnswer(c), ""
		}
		f.ref.Width, f.ref.Height = cfg.Width, cfg.Height
		f.data = nil
	}
	p := &pending{id: r.newUploadID(), target: c.target, mid: c.mid, gid: c.gid, aid: c.aid,
		peer: c.peer, dtype: c.dtype, server: c.server, rhash: c.rhash, at: r.now()}
	for _, f := range files {
		p.files = append(p.files, f.ref)
	}
	r.addPending(p)
	return r.answer(p), ""
}

// readFile reads a file part within the limit: its hash and size, and
// its bytes for a photo.
func readFile(p *multipart.Part, limit int64, keep bool) (received, string) {
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
			return received{}, upTooLarge
		}
		return received{}, upNotUploaded
	}
	if n > limit {
		return received{}, upTooLarge
	}
	if n == 0 {
		return received{}, upNotUploaded
	}
	return received{ref: FileRef{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, ext: ext, data: buf.Bytes()}, ""
}

// answer is the success answer of an upload: the file fields carry the
// upload id and a signature the save checks.
func (r *Room) answer(p *pending) []byte {
	server := strconv.FormatInt(p.server, 10)
	if p.target == targetDoc {
		f := p.files[0]
		file := strings.Join([]string{strconv.FormatInt(p.mid, 10), "0", "0", server, p.id,
			sanitizeDocField(f.Name), strconv.FormatInt(f.Size, 10), ""}, "|")
		file += "|" + r.mac("file", file, p.rhash)
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
	hash := r.mac("photo", p.id, server, string(list), p.rhash)
	if p.target == targetAlbum {
		b, _ := json.Marshal(map[string]any{"server": p.server, "photos_list": string(list), "aid": p.aid, "hash": hash})
		return b
	}
	b, _ := json.Marshal(map[string]any{"server": p.server, "photo": string(list), "hash": hash})
	return b
}

// sanitizeDocField keeps the | separator out of a file name.
func sanitizeDocField(s string) string { return strings.ReplaceAll(s, "|", "_") }
