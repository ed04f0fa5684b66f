package upload

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// Photo is a saved photo.
type Photo struct {
	ID        int64       `json:"id"`
	AlbumID   int64       `json:"album_id"`
	OwnerID   int64       `json:"owner_id"`
	Date      int64       `json:"date"`
	Text      string      `json:"text"`
	AccessKey string      `json:"access_key"`
	Sizes     []PhotoSize `json:"sizes"`
}

// PhotoSize is one size of a photo.
type PhotoSize struct {
	Type   string `json:"type"`
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Attachment is the photo's attachment string for messages.send and
// wall.post: photo{owner}_{id}, with _{access_key} when it has one.
func (p *Photo) Attachment() string {
	return attachment("photo", p.OwnerID, p.ID, p.AccessKey)
}

// Doc is a saved document; Type is "doc", "audio_message" or "graffiti",
// the kind docs.save answered.
type Doc struct {
	Type      string `json:"-"`
	ID        int64  `json:"id"`
	OwnerID   int64  `json:"owner_id"`
	Title     string `json:"title"`
	Size      int64  `json:"size"`
	Ext       string `json:"ext"`
	Date      int64  `json:"date"`
	URL       string `json:"url"`
	AccessKey string `json:"access_key"`
}

// Attachment is the document's attachment string: doc{owner}_{id}, with
// _{access_key} when it has one.
func (d *Doc) Attachment() string { return attachment("doc", d.OwnerID, d.ID, d.AccessKey) }

func attachment(kind string, owner, id int64, key string) string {
	s := kind + strconv.FormatInt(owner, 10) + "_" + strconv.FormatInt(id, 10)
	if key != "" {
		s += "_" + key
	}
	return s
}

// maxAnswerBytes bounds the answers of upload servers.
const maxAnswerBytes = 1 << 20

// parseServer reads upload_url from a get-upload-server answer: an
// absolute http or https URL.
func parseServer(raw json.RawMessage) (string, error) {
	var r struct {
		UploadURL string `json:"upload_url"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", &answerError{"get upload server: " + err.Error()}
	}
	u, err := url.Parse(r.UploadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &answerError{"get upload server: no usable upload_url"}
	}
	return r.UploadURL, nil
}

// uploaded is what an upload server answered, ready for the save: the
// parameters of the save call.
type uploaded map[string]string

// parseUploaded decodes an upload server's answer: an upload error shape
// as a *vkerr.UploadError (or *vkerr.Error, *vkerr.HTTPError,
// *vkerr.FormatError) from vkerr.DecodeUpload, else the fields the save
// takes. field is "photo", "photos_list" or "file".
func parseUploaded(body []byte, field string) (uploaded, error) {
	raw, err := vkerr.DecodeUpload(body)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, &answerError{"upload: not an object"}
	}
	out := uploaded{}
	v, ok := m[field]
	if !ok {
		return nil, &answerError{"upload: no " + field}
	}
	s, ok := jsonString(v)
	if !ok {
		return nil, &answerError{"upload: " + field + " is not a string"}
	}
	if t := strings.TrimSpace(s); t == "" || t == "[]" {
		return nil, &vkerr.UploadError{Shape: "empty", Field: field}
	}
	out[field] = s
	if field == "file" {
		return out, nil
	}
	for _, k := range []string{"server", "hash"} {
		v, ok := m[k]
		if !ok {
			return nil, &answerError{"upload: no " + k}
		}
		s, ok := jsonScalar(v)
		if !ok || s == "" {
			return nil, &answerError{"upload: " + k + " is not a scalar"}
		}
		out[k] = s
	}
	return out, nil
}

// jsonString reads a JSON string.
func jsonString(v json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonScalar reads a JSON string or number as text.
func jsonScalar(v json.RawMessage) (string, bool) {
	if s, ok := jsonString(v); ok {
		return s, true
	}
	t := bytes.TrimSpace(v)
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(t))
	d.UseNumber()
	if err := d.Decode(&n); err != nil {
		return "", false
	}
	return n.String(), true
}

// parsePhotos decodes the answer of a photo save: an array of photos.
func parsePhotos(raw json.RawMessage) ([]Photo, error) {
	var ps []Photo
	if err := json.Unmarshal(raw, &ps); err != nil {
		return nil, &answerError{"save: " + err.Error()}
	}
	if len(ps) == 0 {
		return nil, &answerError{"save: no photo"}
	}
	for _, p := range ps {
		if p.ID == 0 || p.OwnerID == 0 {
			return nil, &answerError{"save: a photo without id or owner_id"}
		}
	}
	return ps, nil
}

// parseDoc decodes the answer of docs.save: {"type":T,T:{…}}.
func parseDoc(raw json.RawMessage) (*Doc, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, &answerError{"save: not an object"}
	}
	typ, ok := jsonString(m["type"])
	if !ok || typ == "" || typ == "type" {
		return nil, &answerError{"save: no type"}
	}
	d := &Doc{}
	if err := json.Unmarshal(m[typ], d); err != nil || d.ID == 0 || d.OwnerID == 0 {
		return nil, &answerError{"save: no " + strconv.Quote(typ) + " object"}
	}
	d.Type = typ
	return d, nil
}

// OwnerPhoto is the answer of photos.saveOwnerPhoto.
type OwnerPhoto struct {
	PhotoHash string `json:"photo_hash"`
	PhotoSrc  string `json:"photo_src"`
	Saved     int    `json:"saved"`
	PostID    int64  `json:"post_id"`
}

func parseOwnerPhoto(raw json.RawMessage) (*OwnerPhoto, error) {
	var p OwnerPhoto
	if err := json.Unmarshal(raw, &p); err != nil || p.PhotoHash == "" {
		return nil, &answerError{"save: no photo_hash"}
	}
	return &p, nil
}
