package uploads

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// An upload_url, shaped like VK's:
// BASE/upload/cN/upload.php?act=do_add&mid=…&aid=…&gid=…&hash=…&rhash=…&…&_sig=….
// It is signed (_sig, an HMAC of every other parameter under the room's
// key), lives URLTTL on the mock's clock, and is bound to the token
// (rhash is an HMAC of it, never the token) and the target (owner,
// album, peer, kind).

// Upload targets: where a URL's upload goes, which save method takes it.
const (
	targetMessages = "messages" // photos.getMessagesUploadServer → photos.saveMessagesPhoto
	targetWall     = "wall"     // photos.getWallUploadServer → photos.saveWallPhoto
	targetAlbum    = "album"    // photos.getUploadServer → photos.save
	targetOwner    = "owner"    // photos.getOwnerPhotoUploadServer → photos.saveOwnerPhoto
	targetDoc      = "doc"      // docs.get*UploadServer → docs.save
)

// mac is the hex HMAC-SHA256 of parts under the room's key, cut to 32
// hex digits like VK's hashes.
func (r *Room) mac(parts ...string) string {
	h := hmac.New(sha256.New, r.key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// tokenHash binds a URL or an answer to a token without keeping it.
func (r *Room) tokenHash(token string) string { return r.mac("token", token) }

// urlFields are the parameters of an upload URL, in the order they are
// signed.
var urlFields = []string{"act", "mid", "aid", "gid", "peer", "type", "target", "server", "exp", "hash", "rhash", "swfupload", "api"}

// issueURL issues an upload URL for target.
func (r *Room) issueURL(base, target, dtype, token string, mid, gid, aid, peer int64) string {
	r.mu.Lock()
	r.seq++
	n := r.seq
	r.mu.Unlock()
	server := 600 + n%400
	kind := "photo"
	if target == targetDoc {
		kind = "doc"
	}
	v := map[string]string{
		"act": "do_add", "mid": strconv.FormatInt(mid, 10), "aid": strconv.FormatInt(aid, 10),
		"gid": strconv.FormatInt(gid, 10), "peer": strconv.FormatInt(peer, 10), "type": kind,
		"target": target, "server": strconv.FormatInt(server, 10),
		"exp":   strconv.FormatInt(r.now().Add(URLTTL).Unix(), 10),
		"rhash": r.tokenHash(token), "swfupload": "1", "api": "1",
	}
	if dtype != "" {
		v["type"] = dtype
	}
	v["hash"] = r.mac("session", strconv.FormatInt(n, 10), v["rhash"])
	b := []byte(base + "/upload/c" + strconv.FormatInt(server, 10) + "/upload.php?")
	sig := make([]string, 0, len(urlFields))
	for i, f := range urlFields {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, f...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(v[f])...)
		sig = append(sig, v[f])
	}
	b = append(b, "&_sig="...)
	b = append(b, r.mac(sig...)...)
	return string(b)
}

// urlClaims are the checked parameters of an upload URL.
type urlClaims struct {
	target, dtype, rhash, hash  string
	mid, gid, aid, peer, server int64
}

// checkURL verifies an upload URL's signature and lifetime: expired when
// its time is over, tampered when the signature does not match or a
// parameter is missing or malformed.
func (r *Room) checkURL(q url.Values) (c urlClaims, expired, tampered bool) {
	vals := make([]string, len(urlFields))
	for i, f := range urlFields {
		if len(q[f]) != 1 {
			return c, false, true
		}
		vals[i] = q[f][0]
	}
	if len(q["_sig"]) != 1 || !hmac.Equal([]byte(q["_sig"][0]), []byte(r.mac(vals...))) {
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
	if r.now().Unix() > ints[5] {
		return c, true, false
	}
	return c, false, false
}

// addPending keeps an answered upload, forgetting the oldest beyond the
// bound.
func (r *Room) addPending(p *pending) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending[p.id] = p
	r.pendingFIFO = append(r.pendingFIFO, p.id)
	for len(r.pending) > r.maxPending && len(r.pendingFIFO) > 0 {
		delete(r.pending, r.pendingFIFO[0])
		r.pendingFIFO = r.pendingFIFO[1:]
	}
	if len(r.pendingFIFO) > 2*r.maxPending {
		// Drop the ids of saved uploads from the queue now and then.
		r.pendingFIFO = slices.DeleteFunc(r.pendingFIFO, func(id string) bool { return r.pending[id] == nil })
	}
}

// newUploadID is a fresh id of an upload answer.
func (r *Room) newUploadID() string {
	r.mu.Lock()
	r.seq++
	n := r.seq
	r.mu.Unlock()
	return r.mac("upload", strconv.FormatInt(n, 10))[:20]
}

// sawToken records a token sent to the upload endpoint.
func (r *Room) sawToken(at time.Time, where string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	if len(r.sightings) < maxTokenSightings {
		r.sightings = append(r.sightings, TokenSighting{Time: at, Where: where})
	}
}

// expired reports whether an upload answer is too old to save.
func (r *Room) expired(p *pending) bool {
	return r.now().Sub(p.at) > ResultTTL
}
