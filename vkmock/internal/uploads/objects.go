package uploads

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The objects a save makes of an upload: photos (or the owner photo's
// answer) and documents, with the attachment strings that name them.

// owner is the owner of the objects an upload becomes.
func owner(p *pending) int64 {
	if p.gid > 0 && p.target != targetMessages {
		return -p.gid
	}
	return p.mid
}

// photoObjects builds the saved photos (or the owner photo's answer).
func (r *Room) photoObjects(q *core.Request, p *pending, sp saveSpec, objID func() int64) ([]byte, []string) {
	own := owner(p)
	date := r.now().Unix()
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
		key := r.mac("key", p.id, strconv.Itoa(i))[:18]
		out[i] = photo{ID: id, AlbumID: p.aid, OwnerID: own, Date: date, Text: text, AccessKey: key,
			Sizes: []size{{Type: "x", URL: q.Base() + "/photos/" + f.SHA256[:16] + ".jpg", Width: f.Width, Height: f.Height}}}
		atts[i] = "photo" + strconv.FormatInt(own, 10) + "_" + strconv.FormatInt(id, 10) + "_" + key
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
func (r *Room) docObject(q *core.Request, p *pending, objID func() int64) ([]byte, []string) {
	own := owner(p)
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
	key := r.mac("key", p.id)[:18]
	u := q.Base() + "/doc" + strconv.FormatInt(own, 10) + "_" + strconv.FormatInt(id, 10)
	doc := map[string]any{"id": id, "owner_id": own, "title": title, "size": f.Size, "ext": ext,
		"date": r.now().Unix(), "type": typ, "url": u, "access_key": key}
	kind := p.dtype
	switch kind {
	case "audio_message":
		doc = map[string]any{"id": id, "owner_id": own, "duration": 1, "waveform": []int{0},
			"link_ogg": u + ".ogg", "link_mp3": u + ".mp3", "access_key": key}
	case "graffiti":
		doc = map[string]any{"id": id, "owner_id": own, "url": u, "width": 0, "height": 0, "access_key": key}
	default:
		kind = "doc"
	}
	b, _ := json.Marshal(map[string]any{"type": kind, kind: doc})
	return b, []string{"doc" + strconv.FormatInt(own, 10) + "_" + strconv.FormatInt(id, 10) + "_" + key}
}

// fileExt is the extension of a file name, with its dot.
func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], "/\\") {
		return name[i:]
	}
	return ""
}
