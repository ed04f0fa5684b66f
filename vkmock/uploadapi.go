package vkmock

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// The get-upload-server and save methods of uploads (see upload.go).
//
// A save checks what the upload answered, in this order:
//   - the file field (photo, photos_list, file) must name an upload the
//     mock answered for this save method's kind of URL, not older than
//     UploadResultTTL: else photos.saveMessagesPhoto answers 100 "photo is
//     undefined", photos.saveWallPhoto and photos.save 22, saveOwnerPhoto
//     129, docs.save 22 (the silent "photo":"[]" ends here);
//   - server must be the upload's: else 118;
//   - hash must be the upload's, for this token (an upload is bound to the
//     token its URL was issued to): else 121 (docs.save: 22, its file
//     carries its own signature).
//
// Then the upload is stored once: a second save of the same upload answers
// the same objects (StoredUpload.Saves counts the saves).

func init() {
	maps.Copy(worldMethods, map[string]worldFunc{
		"photos.getMessagesUploadServer":   (*Server).photosGetMessagesUploadServer,
		"photos.getWallUploadServer":       (*Server).photosGetWallUploadServer,
		"photos.getOwnerPhotoUploadServer": (*Server).photosGetOwnerPhotoUploadServer,
		"docs.getMessagesUploadServer":     (*Server).docsGetMessagesUploadServer,
		"docs.getWallUploadServer":         (*Server).docsGetWallUploadServer,
		"docs.getUploadServer":             (*Server).docsGetWallUploadServer,
		"photos.saveMessagesPhoto":         (*Server).photosSaveMessagesPhoto,
		"photos.saveWallPhoto":             (*Server).photosSaveWallPhoto,
		"photos.save":                      (*Server).photosSave,
		"photos.saveOwnerPhoto":            (*Server).photosSaveOwnerPhoto,
		"docs.save":                        (*Server).docsSave,
	})
}

// Album ids VK uses for the photos of messages, walls and profiles.
const (
	albumMessages = -3
	albumWall     = -14
	albumProfile  = -6
)

func int64Param(q *vkRequest, name string) int64 {
	v, _ := q.Get(name)
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func (s *Server) photosGetMessagesUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid := int64(0)
	if tok.Kind == TokenGroup {
		gid = tok.GroupID
	}
	u := s.uploadURL(q.Base(), targetMessages, "", tok.Token, caller(tok), gid, albumMessages, int64Param(q, "peer_id"))
	b, _ := json.Marshal(map[string]any{"album_id": albumMessages, "upload_url": u, "user_id": max(caller(tok), 0), "group_id": gid})
	return b, nil
}

func (s *Server) photosGetWallUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid := int64Param(q, "group_id")
	u := s.uploadURL(q.Base(), targetWall, "", tok.Token, caller(tok), gid, albumWall, 0)
	b, _ := json.Marshal(map[string]any{"album_id": albumWall, "upload_url": u, "user_id": max(caller(tok), 0)})
	return b, nil
}

// albumUploadServer answers photos.getUploadServer once its album checks
// passed (photosGetUploadServer).
func (s *Server) albumUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	aid, gid := int64Param(q, "album_id"), int64Param(q, "group_id")
	u := s.uploadURL(q.Base(), targetAlbum, "", tok.Token, caller(tok), gid, aid, 0)
	b, _ := json.Marshal(map[string]any{"album_id": aid, "upload_url": u, "user_id": max(caller(tok), 0)})
	return b, nil
}

func (s *Server) photosGetOwnerPhotoUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	owner, e := s.ownerParam(q, tok)
	if e != nil {
		return nil, e
	}
	gid := int64(0)
	if owner < 0 {
		gid = -owner
	}
	u := s.uploadURL(q.Base(), targetOwner, "", tok.Token, caller(tok), gid, albumProfile, 0)
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

func (s *Server) docsGetMessagesUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	typ, _ := q.Get("type")
	switch typ {
	case "":
		typ = "doc"
	case "doc", "audio_message", "graffiti":
	default:
		return nil, s.paramError("type is invalid")
	}
	gid := int64(0)
	if tok.Kind == TokenGroup {
		gid = tok.GroupID
	}
	u := s.uploadURL(q.Base(), targetDoc, typ, tok.Token, caller(tok), gid, 0, int64Param(q, "peer_id"))
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

func (s *Server) docsGetWallUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	u := s.uploadURL(q.Base(), targetDoc, "doc", tok.Token, caller(tok), int64Param(q, "group_id"), 0, 0)
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

// saveSpec says how a save method checks and answers.
type saveSpec struct {
	method string
	target string
	field  string     // the parameter carrying the upload
	bad    vkerr.Code // the answer to an unknown or empty upload
}

var (
	saveMessages = saveSpec{"photos.saveMessagesPhoto", targetMessages, "photo", vkerr.Param}
	saveWall     = saveSpec{"photos.saveWallPhoto", targetWall, "photo", vkerr.Upload}
	saveAlbum    = saveSpec{"photos.save", targetAlbum, "photos_list", vkerr.Upload}
	saveOwner    = saveSpec{"photos.saveOwnerPhoto", targetOwner, "photo", vkerr.ParamPhoto}
	saveDoc      = saveSpec{"docs.save", targetDoc, "file", vkerr.Upload}
)

func (s *Server) photosSaveMessagesPhoto(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	return s.savePhotos(q, tok, saveMessages)
}

func (s *Server) photosSaveWallPhoto(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	return s.savePhotos(q, tok, saveWall)
}

func (s *Server) photosSave(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	return s.savePhotos(q, tok, saveAlbum)
}

func (s *Server) photosSaveOwnerPhoto(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	return s.savePhotos(q, tok, saveOwner)
}

// badUpload is the error of an unknown or empty upload.
func (s *Server) badUpload(sp saveSpec) *vkerr.Error {
	if sp.bad == vkerr.Param {
		return s.paramError(sp.field + " is undefined")
	}
	return &vkerr.Error{Code: sp.bad, Message: s.message(sp.bad)}
}

// savePhotos checks a photo save and stores it once.
func (s *Server) savePhotos(q *vkRequest, tok Token, sp saveSpec) ([]byte, *vkerr.Error) {
	list, _ := q.Get(sp.field)
	var items []struct {
		Photo string `json:"photo"`
	}
	if err := json.Unmarshal([]byte(list), &items); err != nil || len(items) == 0 || len(items) > 5 {
		if err == nil && len(items) == 0 && sp.target != targetOwner {
			// The silent "photo":"[]" of an upload server: VK answers 100
			// (vk-java-sdk issue 42).
			return nil, s.paramError("photos_list is invalid")
		}
		return nil, s.badUpload(sp)
	}
	id, _, _ := strings.Cut(items[0].Photo, ":")
	for i, it := range items {
		if it.Photo != id+":"+strconv.Itoa(i) {
			return nil, s.badUpload(sp)
		}
	}
	server, _ := q.Get("server")
	hash, _ := q.Get("hash")
	check := func(p *pendingUpload) *vkerr.Error {
		if p.target != sp.target || len(p.files) != len(items) {
			return s.badUpload(sp)
		}
		if server != strconv.FormatInt(p.server, 10) {
			return &vkerr.Error{Code: vkerr.ParamServer, Message: s.message(vkerr.ParamServer)}
		}
		if (sp.target == targetWall || sp.target == targetAlbum) && int64Param(q, "group_id") != p.gid {
			// Another community than the upload server's: the hash does
			// not hold, 121 as VK's.
			return &vkerr.Error{Code: vkerr.ParamHash, Message: s.message(vkerr.ParamHash)}
		}
		if hash != s.uploads.mac("photo", p.id, server, list, s.uploads.tokenHash(tok.Token)) {
			return &vkerr.Error{Code: vkerr.ParamHash, Message: s.message(vkerr.ParamHash)}
		}
		return nil
	}
	return s.storeUpload(id, sp, check, func(p *pendingUpload, objID func() int64) ([]byte, []string) {
		return s.photoObjects(q, p, sp, objID)
	})
}

// docsSave checks a document save and stores it once.
func (s *Server) docsSave(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	file, _ := q.Get("file")
	parts := strings.Split(file, "|")
	if len(parts) != 9 {
		return nil, s.badUpload(saveDoc)
	}
	id := parts[4]
	check := func(p *pendingUpload) *vkerr.Error {
		if p.target != targetDoc || parts[3] != strconv.FormatInt(p.server, 10) {
			return s.badUpload(saveDoc)
		}
		signed := strings.Join(parts[:8], "|")
		if parts[8] != s.uploads.mac("file", signed, s.uploads.tokenHash(tok.Token)) {
			return s.badUpload(saveDoc)
		}
		return nil
	}
	return s.storeUpload(id, saveDoc, check, func(p *pendingUpload, objID func() int64) ([]byte, []string) {
		return s.docObject(q, p, objID)
	})
}

// storeUpload finds the upload id, checks it, and answers the stored
// objects, making them on the first save.
func (s *Server) storeUpload(id string, sp saveSpec, check func(*pendingUpload) *vkerr.Error,
	build func(*pendingUpload, func() int64) ([]byte, []string)) ([]byte, *vkerr.Error) {
	u := &s.uploads
	u.init()
	u.mu.Lock()
	defer u.mu.Unlock()
	if st := u.stored[id]; st != nil {
		if st.SaveMethod != sp.method {
			return nil, s.badUpload(sp)
		}
		p := st.source
		if e := check(p); e != nil {
			return nil, e
		}
		st.Saves++
		return st.response, nil
	}
	p := u.pending[id]
	if p == nil || s.uploadExpired(p) {
		return nil, s.badUpload(sp)
	}
	if e := check(p); e != nil {
		return nil, e
	}
	resp, atts := build(p, func() int64 { u.objSeq++; return 456239000 + u.objSeq })
	st := &StoredUpload{UploadID: id, SaveMethod: sp.method, Target: p.target, OwnerID: uploadOwner(p),
		Attachments: atts, Files: p.files, Saves: 1, SavedAt: s.now(), response: resp, source: p}
	delete(u.pending, id)
	u.stored[id] = st
	u.storedFIFO = append(u.storedFIFO, id)
	u.storedBytes += len(resp)
	for (len(u.stored) > u.maxStored || u.storedBytes > u.maxBytes) && len(u.storedFIFO) > 1 {
		old := u.storedFIFO[0]
		u.storedFIFO = u.storedFIFO[1:]
		if o := u.stored[old]; o != nil {
			u.storedBytes -= len(o.response)
			delete(u.stored, old)
		}
	}
	return resp, nil
}

// uploadOwner is the owner of the objects an upload becomes.
func uploadOwner(p *pendingUpload) int64 {
	if p.gid > 0 && p.target != targetMessages {
		return -p.gid
	}
	return p.mid
}

// photoObjects builds the saved photos (or the owner photo's answer).
func (s *Server) photoObjects(q *vkRequest, p *pendingUpload, sp saveSpec, objID func() int64) ([]byte, []string) {
	owner := uploadOwner(p)
	date := s.now().Unix()
	if sp.target == targetOwner {
		src := q.Base() + "/photos/" + p.files[0].SHA256[:16] + ".jpg"
		b, _ := json.Marshal(map[string]any{"photo_hash": p.files[0].SHA256[:32], "photo_src": src,
			"photo_src_big": src, "photo_src_small": src, "saved": 1, "post_id": 0})
		return b, nil
	}
	type size struct {
		Type   string `json:"type"`
		URL    string `json:"url"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	}
	type photo struct {
		ID        int64  `json:"id"`
		AlbumID   int64  `json:"album_id"`
		OwnerID   int64  `json:"owner_id"`
		Date      int64  `json:"date"`
		Sizes     []size `json:"sizes"`
		Text      string `json:"text"`
		AccessKey string `json:"access_key"`
		HasTags   bool   `json:"has_tags"`
	}
	text, _ := q.Get("caption")
	out := make([]photo, len(p.files))
	atts := make([]string, len(p.files))
	for i, f := range p.files {
		id := objID()
		key := s.uploads.mac("key", p.id, strconv.Itoa(i))[:18]
		out[i] = photo{ID: id, AlbumID: p.aid, OwnerID: owner, Date: date, Text: text, AccessKey: key,
			Sizes: []size{{Type: "x", URL: q.Base() + "/photos/" + f.SHA256[:16] + ".jpg", Width: f.Width, Height: f.Height}}}
		atts[i] = "photo" + strconv.FormatInt(owner, 10) + "_" + strconv.FormatInt(id, 10) + "_" + key
	}
	b, _ := json.Marshal(out)
	return b, atts
}

// docTypes are VK's document types by extension (8: unknown).
var docTypes = map[string]int{
	"txt": 1, "doc": 1, "docx": 1, "pdf": 1, "rtf": 1, "odt": 1,
	"zip": 2, "rar": 2, "7z": 2, "gz": 2, "tar": 2,
	"gif": 3, "jpg": 4, "jpeg": 4, "png": 4, "bmp": 4, "webp": 4,
	"ogg": 5, "wav": 5, "flac": 5, "mp4": 6, "avi": 6, "mkv": 6, "webm": 6,
	"epub": 7, "fb2": 7, "djvu": 7,
}

// docObject builds the saved document.
func (s *Server) docObject(q *vkRequest, p *pendingUpload, objID func() int64) ([]byte, []string) {
	owner := uploadOwner(p)
	f := p.files[0]
	ext := strings.ToLower(strings.TrimPrefix(fileExt(f.Name), "."))
	title, _ := q.Get("title")
	if title == "" {
		title = f.Name
	}
	if len([]rune(title)) > 128 {
		title = string([]rune(title)[:128])
	}
	typ := docTypes[ext]
	if typ == 0 {
		typ = 8
	}
	id := objID()
	key := s.uploads.mac("key", p.id)[:18]
	u := q.Base() + "/doc" + strconv.FormatInt(owner, 10) + "_" + strconv.FormatInt(id, 10)
	doc := map[string]any{"id": id, "owner_id": owner, "title": title, "size": f.Size, "ext": ext,
		"date": s.now().Unix(), "type": typ, "url": u, "access_key": key}
	kind := p.dtype
	switch kind {
	case "audio_message":
		doc = map[string]any{"id": id, "owner_id": owner, "duration": 1, "waveform": []int{0},
			"link_ogg": u + ".ogg", "link_mp3": u + ".mp3", "access_key": key}
	case "graffiti":
		doc = map[string]any{"id": id, "owner_id": owner, "url": u, "width": 0, "height": 0, "access_key": key}
	default:
		kind = "doc"
	}
	b, _ := json.Marshal(map[string]any{"type": kind, kind: doc})
	return b, []string{"doc" + strconv.FormatInt(owner, 10) + "_" + strconv.FormatInt(id, 10) + "_" + key}
}

// fileExt is the extension of a file name, with its dot.
func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], "/\\") {
		return name[i:]
	}
	return ""
}
