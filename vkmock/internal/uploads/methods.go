package uploads

import (
	"encoding/json"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The get-upload-server methods: each answers an upload_url for its
// target (url.go), with the fields VK sends beside it. photos.getUploadServer
// is the world's (it checks the album), which calls AlbumUploadServer.

// Album ids VK uses for the photos of messages, walls and profiles.
const (
	albumMessages = -3
	albumWall     = -14
	albumProfile  = -6
)

// int64Param is the parameter name as a number, 0 when absent or bad.
func int64Param(q *core.Request, name string) int64 {
	v, _ := q.Get(name)
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func (r *Room) photosGetMessagesUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid := int64(0)
	if tok.Kind == vkerr.KindGroup {
		gid = tok.GroupID
	}
	u := r.issueURL(q.Base(), targetMessages, "", tok.Token, core.Caller(tok), gid, albumMessages, int64Param(q, "peer_id"))
	b, _ := json.Marshal(map[string]any{"album_id": albumMessages, "upload_url": u, "user_id": max(core.Caller(tok), 0), "group_id": gid})
	return b, nil
}

func (r *Room) photosGetWallUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid := int64Param(q, "group_id")
	u := r.issueURL(q.Base(), targetWall, "", tok.Token, core.Caller(tok), gid, albumWall, 0)
	b, _ := json.Marshal(map[string]any{"album_id": albumWall, "upload_url": u, "user_id": max(core.Caller(tok), 0)})
	return b, nil
}

// AlbumUploadServer answers photos.getUploadServer once the world has
// checked the album (its owner, whether it is full): an upload_url for
// album_id, on behalf of group_id when given.
func (r *Room) AlbumUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	aid, gid := int64Param(q, "album_id"), int64Param(q, "group_id")
	u := r.issueURL(q.Base(), targetAlbum, "", tok.Token, core.Caller(tok), gid, aid, 0)
	b, _ := json.Marshal(map[string]any{"album_id": aid, "upload_url": u, "user_id": max(core.Caller(tok), 0)})
	return b, nil
}

func (r *Room) photosGetOwnerPhotoUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	owner, e := r.d.World.Owner(q, tok)
	if e != nil {
		return nil, e
	}
	gid := int64(0)
	if owner < 0 {
		gid = -owner
	}
	u := r.issueURL(q.Base(), targetOwner, "", tok.Token, core.Caller(tok), gid, albumProfile, 0)
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

func (r *Room) docsGetMessagesUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	typ, _ := q.Get("type")
	switch typ {
	case "":
		typ = "doc"
	case "doc", "audio_message", "graffiti":
	default:
		return nil, r.d.Messages.Param("type is invalid")
	}
	gid := int64(0)
	if tok.Kind == vkerr.KindGroup {
		gid = tok.GroupID
	}
	u := r.issueURL(q.Base(), targetDoc, typ, tok.Token, core.Caller(tok), gid, 0, int64Param(q, "peer_id"))
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

// docsGetWallUploadServer answers docs.getWallUploadServer and
// docs.getUploadServer.
func (r *Room) docsGetWallUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	u := r.issueURL(q.Base(), targetDoc, "doc", tok.Token, core.Caller(tok), int64Param(q, "group_id"), 0, 0)
	b, _ := json.Marshal(map[string]any{"upload_url": u})
	return b, nil
}

// errorOf is error c with VK's message.
func (r *Room) errorOf(c vkerr.Code) *vkerr.Error {
	return &vkerr.Error{Code: c, Message: r.d.Messages.Of(c)}
}
