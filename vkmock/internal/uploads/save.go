package uploads

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The save methods. A save checks what the upload answered, in this
// order:
//   - the file field (photo, photos_list, file) must name an upload the
//     room answered for this save method's kind of URL, not older than
//     ResultTTL: else photos.saveMessagesPhoto answers 100 "photo is
//     undefined", photos.saveWallPhoto and photos.save 22, saveOwnerPhoto
//     129, docs.save 22; the silent "photo":"[]" answers 100 "photos_list
//     is invalid" (vk-java-sdk issue 42);
//   - server must be the upload's: else 118;
//   - group_id (wall, album) must be the upload server's, and hash the
//     upload's for this token (an upload is bound to the token its URL
//     was issued to): else 121 (docs.save: 22, its file carries its own
//     signature).
//
// Then the upload is stored once: a second save of the same upload answers
// the same objects (Stored.Saves counts the saves).

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

func (r *Room) photosSaveMessagesPhoto(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.savePhotos(q, tok, saveMessages)
}

func (r *Room) photosSaveWallPhoto(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.savePhotos(q, tok, saveWall)
}

func (r *Room) photosSave(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.savePhotos(q, tok, saveAlbum)
}

func (r *Room) photosSaveOwnerPhoto(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.savePhotos(q, tok, saveOwner)
}

// badUpload is the error of an unknown or empty upload.
func (r *Room) badUpload(sp saveSpec) *vkerr.Error {
	if sp.bad == vkerr.Param {
		return r.d.Messages.Param(sp.field + " is undefined")
	}
	return r.errorOf(sp.bad)
}

// savePhotos checks a photo save and stores it once.
func (r *Room) savePhotos(q *core.Request, tok core.Token, sp saveSpec) ([]byte, *vkerr.Error) {
	list, _ := q.Get(sp.field)
	var items []struct {
		Photo string `json:"photo"`
	}
	if err := json.Unmarshal([]byte(list), &items); err != nil || len(items) == 0 || len(items) > 5 {
		if err == nil && len(items) == 0 && sp.target != targetOwner {
			// The silent "photo":"[]" of an upload server: VK answers 100
			// (vk-java-sdk issue 42).
			return nil, r.d.Messages.Param("photos_list is invalid")
		}
		return nil, r.badUpload(sp)
	}
	id, _, _ := strings.Cut(items[0].Photo, ":")
	for i, it := range items {
		if it.Photo != id+":"+strconv.Itoa(i) {
			return nil, r.badUpload(sp)
		}
	}
	server, _ := q.Get("server")
	hash, _ := q.Get("hash")
	check := func(p *pending) *vkerr.Error {
		if p.target != sp.target || len(p.files) != len(items) {
			return r.badUpload(sp)
		}
		if server != strconv.FormatInt(p.server, 10) {
			return r.errorOf(vkerr.ParamServer)
		}
		if (sp.target == targetWall || sp.target == targetAlbum) && int64Param(q, "group_id") != p.gid {
			// Another community than the upload server's: the hash does
			// not hold, 121 as VK's.
			return r.errorOf(vkerr.ParamHash)
		}
		if hash != r.mac("photo", p.id, server, list, r.tokenHash(tok.Token)) {
			return r.errorOf(vkerr.ParamHash)
		}
		return nil
	}
	return r.store(id, sp, check, func(p *pending, objID func() int64) ([]byte, []string) {
		return r.photoObjects(q, p, sp, objID)
	})
}

// docsSave checks a document save and stores it once.
func (r *Room) docsSave(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	file, _ := q.Get("file")
	parts := strings.Split(file, "|")
	if len(parts) != 9 {
		return nil, r.badUpload(saveDoc)
	}
	id := parts[4]
	check := func(p *pending) *vkerr.Error {
		if p.target != targetDoc || parts[3] != strconv.FormatInt(p.server, 10) {
			return r.badUpload(saveDoc)
		}
		signed := strings.Join(parts[:8], "|")
		if parts[8] != r.mac("file", signed, r.tokenHash(tok.Token)) {
			return r.badUpload(saveDoc)
		}
		return nil
	}
	return r.store(id, saveDoc, check, func(p *pending, objID func() int64) ([]byte, []string) {
		return r.docObject(q, p, objID)
	})
}

// store finds the upload id, checks it, and answers the stored objects,
// making them on the first save.
func (r *Room) store(id string, sp saveSpec, check func(*pending) *vkerr.Error,
	build func(*pending, func() int64) ([]byte, []string)) ([]byte, *vkerr.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.stored[id]; st != nil {
		if st.SaveMethod != sp.method {
			return nil, r.badUpload(sp)
		}
		if e := check(st.source); e != nil {
			return nil, e
		}
		st.Saves++
		return st.response, nil
	}
	p := r.pending[id]
	if p == nil || r.expired(p) {
		return nil, r.badUpload(sp)
	}
	if e := check(p); e != nil {
		return nil, e
	}
	resp, atts := build(p, func() int64 { r.objSeq++; return 456239000 + r.objSeq })
	st := &Stored{UploadID: id, SaveMethod: sp.method, Target: p.target, OwnerID: owner(p),
		Attachments: atts, Files: p.files, Saves: 1, SavedAt: r.now(), response: resp, source: p}
	delete(r.pending, id)
	r.stored[id] = st
	r.storedFIFO = append(r.storedFIFO, id)
	r.storedBytes += len(resp)
	for (len(r.stored) > r.maxStored || r.storedBytes > r.maxBytes) && len(r.storedFIFO) > 1 {
		old := r.storedFIFO[0]
		r.storedFIFO = r.storedFIFO[1:]
		if o := r.stored[old]; o != nil {
			r.storedBytes -= len(o.response)
			delete(r.stored, old)
		}
	}
	return resp, nil
}
