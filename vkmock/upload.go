package vkmock

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Uploads are three steps, as on VK:
//
//  1. A get-upload-server method (photos.getMessagesUploadServer,
//     photos.getWallUploadServer, photos.getUploadServer,
//     photos.getOwnerPhotoUploadServer, docs.getMessagesUploadServer,
//     docs.getWallUploadServer, docs.getUploadServer) answers an
//     upload_url on the mock, shaped like VK's:
//     URL/upload/cN/upload.php?act=do_add&mid=…&aid=…&gid=…&hash=…&rhash=…&…&_sig=….
//     The URL is signed (_sig, an HMAC of every other parameter with a key
//     of the server), lives UploadURLTTL on the mock's clock, and is bound
//     to the token (rhash is an HMAC of it, never the token) and the
//     target (owner, album, peer, kind).
//  2. POST multipart to the URL (serveUpload): the file checks, the
//     answers and the error shapes of upload servers.
//  3. A save method (photos.saveMessagesPhoto, photos.saveWallPhoto,
//     photos.save, photos.saveOwnerPhoto, docs.save) checks what step 2
//     answered and stores the object once (see Uploads).

// Limits of the upload servers.
const (
	// UploadURLTTL is how long an upload_url is accepted after it was
	// issued, on the mock's clock.
	UploadURLTTL = 15 * time.Minute
	// UploadResultTTL is how long the answer of an upload can be saved.
	UploadResultTTL = time.Hour
	// MaxUploadPhotoBytes and MaxUploadDocBytes bound one file, as VK does
	// (50 MB for a photo, 200 MB for a document).
	MaxUploadPhotoBytes = 50 << 20
	MaxUploadDocBytes   = 200 << 20
	// MaxUploadPhotoSides bounds width+height of a photo; a photo's sides
	// may differ by at most MaxUploadPhotoRatio times.
	MaxUploadPhotoSides = 14000
	MaxUploadPhotoRatio = 20
	// DefaultMaxPendingUploads bounds the uploads answered but not saved;
	// the oldest is forgotten first.
	DefaultMaxPendingUploads = 10000
	// DefaultMaxStoredUploads and DefaultMaxStoredUploadBytes bound the
	// saved uploads (count, and bytes of the stored objects' JSON); the
	// oldest is forgotten first.
	DefaultMaxStoredUploads     = 10000
	DefaultMaxStoredUploadBytes = 32 << 20
	// maxTokenSightings bounds the record of tokens seen at the upload
	// endpoint (the count goes on).
	maxTokenSightings = 100
)

// Upload targets: where a URL's upload goes, which save method takes it.
const (
	targetMessages = "messages" // photos.getMessagesUploadServer → photos.saveMessagesPhoto
	targetWall     = "wall"     // photos.getWallUploadServer → photos.saveWallPhoto
	targetAlbum    = "album"    // photos.getUploadServer → photos.save
	targetOwner    = "owner"    // photos.getOwnerPhotoUploadServer → photos.saveOwnerPhoto
	targetDoc      = "doc"      // docs.get*UploadServer → docs.save
)

// StoredUpload is an upload that a save method stored (GET
// /__vkmock/uploads). Saves counts the save calls that returned it: a
// second save of the same upload returns the same objects.
type StoredUpload struct {
	UploadID    string    `json:"upload_id"`
	SaveMethod  string    `json:"save_method"`
	Target      string    `json:"target"`
	OwnerID     int64     `json:"owner_id"`
	Attachments []string  `json:"attachments"`
	Files       []FileRef `json:"files"`
	Saves       int       `json:"saves"`
	SavedAt     time.Time `json:"saved_at"`
	response    []byte
	source      *pendingUpload
}

// FileRef describes an uploaded file: its name, size, SHA-256 (hex) and,
// for a photo, its sides.
type FileRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// TokenSighting is a request to the upload endpoint that carried an access
// token or an Authorization header; where says which ("query
// access_token", "form access_token", "header Authorization"). The value
// is never kept.
type TokenSighting struct {
	Time  time.Time `json:"time"`
	Where string    `json:"where"`
}

// UploadsState is the answer of GET /__vkmock/uploads.
type UploadsState struct {
	Stored         []StoredUpload  `json:"stored"`
	Pending        int             `json:"pending"`
	TokenSightings []TokenSighting `json:"token_sightings"`
	TokensSeen     int             `json:"tokens_seen"`
}

// pendingUpload is an upload answered by step 2 and not yet saved.
type pendingUpload struct {
	id     string
	target string
	mid    int64 // the caller the URL was issued to
	gid    int64 // the community of the URL, 0 for none
	aid    int64 // the album
	peer   int64
	dtype  string // docs: doc, audio_message, graffiti
	server int64
	rhash  string // the HMAC of the token the URL was issued to
	files  []FileRef
	at     time.Time
}

// uploadState holds the upload servers' key, the pending uploads and the
// stored ones.
type uploadState struct {
	once sync.Once
	key  []byte

	mu          sync.Mutex
	seq         int64
	objSeq      int64
	pending     map[string]*pendingUpload
	pendingFIFO []string
	stored      map[string]*StoredUpload
	storedFIFO  []string
	storedBytes int
	maxPending  int
	maxStored   int
	maxBytes    int
	sightings   []TokenSighting
	seen        int
	limits      UploadLimits // zero fields: the defaults
}

func (u *uploadState) init() {
	u.once.Do(func() {
		u.key = make([]byte, 32)
		_, _ = rand.Read(u.key)
		u.mu.Lock()
		u.resetLocked()
		u.mu.Unlock()
	})
}

func (u *uploadState) reset() {
	u.init()
	u.mu.Lock()
	u.resetLocked()
	u.mu.Unlock()
}

func (u *uploadState) resetLocked() {
	u.pending = map[string]*pendingUpload{}
	u.pendingFIFO = nil
	u.stored = map[string]*StoredUpload{}
	u.storedFIFO = nil
	u.storedBytes = 0
	u.sightings = nil
	u.seen = 0
	if u.maxPending <= 0 {
		u.maxPending = DefaultMaxPendingUploads
	}
	if u.maxStored <= 0 {
		u.maxStored = DefaultMaxStoredUploads
	}
	if u.maxBytes <= 0 {
		u.maxBytes = DefaultMaxStoredUploadBytes
	}
}

// mac is the hex HMAC-SHA256 of parts under the server's key, cut to 32
// hex digits like VK's hashes.
func (u *uploadState) mac(parts ...string) string {
	u.init()
	h := hmac.New(sha256.New, u.key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// tokenHash binds a URL or an answer to a token without keeping it.
func (u *uploadState) tokenHash(token string) string { return u.mac("token", token) }

// uploadURLFields are the parameters of an upload URL, in the order they
// are signed.
var uploadURLFields = []string{"act", "mid", "aid", "gid", "peer", "type", "target", "server", "exp", "hash", "rhash", "swfupload", "api"}

// uploadURL issues an upload URL for target.
func (s *Server) uploadURL(base, target, dtype, token string, mid, gid, aid, peer int64) string {
	u := &s.uploads
	u.init()
	u.mu.Lock()
	u.seq++
	n := u.seq
	u.mu.Unlock()
	server := 600 + n%400
	kind := "photo"
	if target == targetDoc {
		kind = "doc"
	}
	v := map[string]string{
		"act": "do_add", "mid": strconv.FormatInt(mid, 10), "aid": strconv.FormatInt(aid, 10),
		"gid": strconv.FormatInt(gid, 10), "peer": strconv.FormatInt(peer, 10), "type": kind,
		"target": target, "server": strconv.FormatInt(server, 10),
		"exp":   strconv.FormatInt(s.now().Add(UploadURLTTL).Unix(), 10),
		"rhash": u.tokenHash(token), "swfupload": "1", "api": "1",
	}
	if dtype != "" {
		v["type"] = dtype
	}
	v["hash"] = u.mac("session", strconv.FormatInt(n, 10), v["rhash"])
	b := []byte(base + "/upload/c" + strconv.FormatInt(server, 10) + "/upload.php?")
	sig := make([]string, 0, len(uploadURLFields))
	for i, f := range uploadURLFields {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, f...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(v[f])...)
		sig = append(sig, v[f])
	}
	b = append(b, "&_sig="...)
	b = append(b, u.mac(sig...)...)
	return string(b)
}

// urlClaims are the checked parameters of an upload URL.
type urlClaims struct {
	target, dtype, rhash, hash  string
	mid, gid, aid, peer, server int64
}

// checkUploadURL verifies an upload URL's signature and lifetime: expired
// when its time is over, tampered when the signature does not match or a
// parameter is missing or malformed.
func (s *Server) checkUploadURL(q url.Values) (c urlClaims, expired, tampered bool) {
	vals := make([]string, len(uploadURLFields))
	for i, f := range uploadURLFields {
		if len(q[f]) != 1 {
			return c, false, true
		}
		vals[i] = q[f][0]
	}
	if len(q["_sig"]) != 1 || !hmac.Equal([]byte(q["_sig"][0]), []byte(s.uploads.mac(vals...))) {
		return c, false, true
	}
	ints := make([]int64, 6)
	for i, f := range []string{"mid", "gid", "aid", "peer", "server", "exp"} {
		n, err := strconv.ParseInt(q.Get(f), 10, 64)
		if err != nil {
			return c, false, true
		}
		ints[i] = n
	}
	c = urlClaims{target: q.Get("target"), dtype: q.Get("type"), rhash: q.Get("rhash"), hash: q.Get("hash"),
		mid: ints[0], gid: ints[1], aid: ints[2], peer: ints[3], server: ints[4]}
	if s.now().Unix() > ints[5] {
		return c, true, false
	}
	return c, false, false
}

// addPending keeps an answered upload, forgetting the oldest beyond the
// bound.
func (u *uploadState) addPending(p *pendingUpload) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pending[p.id] = p
	u.pendingFIFO = append(u.pendingFIFO, p.id)
	for len(u.pending) > u.maxPending && len(u.pendingFIFO) > 0 {
		delete(u.pending, u.pendingFIFO[0])
		u.pendingFIFO = u.pendingFIFO[1:]
	}
	if len(u.pendingFIFO) > 2*u.maxPending {
		// Drop the ids of saved uploads from the queue now and then.
		u.pendingFIFO = slices.DeleteFunc(u.pendingFIFO, func(id string) bool { return u.pending[id] == nil })
	}
}

// newUploadID is a fresh id of an upload answer.
func (u *uploadState) newUploadID() string {
	u.init()
	u.mu.Lock()
	u.seq++
	n := u.seq
	u.mu.Unlock()
	return u.mac("upload", strconv.FormatInt(n, 10))[:20]
}

// sawToken records a token sent to the upload endpoint.
func (u *uploadState) sawToken(at time.Time, where string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.seen++
	if len(u.sightings) < maxTokenSightings {
		u.sightings = append(u.sightings, TokenSighting{Time: at, Where: where})
	}
}

// Stored returns the uploads that save methods stored, oldest first, the
// number pending (answered, not saved) and the tokens seen at the upload
// endpoint.
func (ctl UploadControl) Stored() UploadsState {
	s := ctl.s
	u := &s.uploads
	u.init()
	u.mu.Lock()
	defer u.mu.Unlock()
	out := UploadsState{Stored: make([]StoredUpload, 0, len(u.stored)), Pending: len(u.pending),
		TokenSightings: slices.Clone(u.sightings), TokensSeen: u.seen}
	for _, id := range u.storedFIFO {
		if st := u.stored[id]; st != nil {
			c := *st
			c.Attachments = slices.Clone(st.Attachments)
			c.Files = slices.Clone(st.Files)
			out.Stored = append(out.Stored, c)
		}
	}
	if out.TokenSightings == nil {
		out.TokenSightings = []TokenSighting{}
	}
	return out
}

// Clear forgets every pending and stored upload and the tokens
// seen.
func (ctl UploadControl) Clear() {
	s := ctl.s
	s.uploads.reset()
}

// uploadRoute is the control endpoint /__vkmock/uploads.
func (s *Server) uploadRoute() route {
	return route{
		http.MethodGet:    getJSON(func() any { return s.Uploads().Stored() }),
		http.MethodDelete: noContent(s.Uploads().Clear),
	}
}
