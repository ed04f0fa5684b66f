package world

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Walls and albums: wall.get, wall.post, photos.getAlbums and the checks
// of photos.getUploadServer, with who may see an owner's content.

// OwnerParam reads owner_id (or domain), defaulting to the caller.
func (r *Room) OwnerParam(q *core.Request, tok core.Token) (int64, *vkerr.Error) {
	if v, ok := q.Get("owner_id"); ok && v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 || id > MaxUserID || -id > MaxGroupID {
			return 0, r.param("owner_id is invalid")
		}
		return id, nil
	}
	if v, ok := q.Get("domain"); ok && v != "" {
		id, ok := r.ResolveName(v)
		if !ok {
			return 0, r.param("domain is invalid")
		}
		return id, nil
	}
	if me := Caller(tok); me != 0 {
		return me, nil
	}
	return 0, r.param("owner_id is undefined")
}

// ownerAccess checks that the caller may see an owner's content: 18 for
// a deleted or banned user, 30 for someone else's private profile, 15 for
// a closed community and 203 for a private one the caller is not in.
func (r *Room) ownerAccess(owner int64, tok core.Token) *vkerr.Error {
	me := Caller(tok)
	if owner > 0 {
		u, _ := r.User(owner)
		if u.Deactivated != "" {
			return r.coded(vkerr.UserDeleted)
		}
		if u.IsClosed && me != owner {
			return r.coded(vkerr.PrivateProfile)
		}
		return nil
	}
	g, _ := r.Group(-owner)
	if me == owner || slices.Contains(g.Members, me) {
		return nil
	}
	switch g.IsClosed {
	case 1:
		return r.deps.Messages.With(vkerr.Access, "this wall available only for community members")
	case 2:
		return r.coded(vkerr.AccessGroup)
	}
	return nil
}

func intParam(q *core.Request, name string, def, maxV int) int {
	v, ok := q.Get(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return min(n, maxV)
}

func (r *Room) wallGet(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	owner, e := r.OwnerParam(q, tok)
	if e != nil {
		return nil, e
	}
	if e := r.ownerAccess(owner, tok); e != nil {
		return nil, e
	}
	offset := intParam(q, "offset", 0, 1<<30)
	count := intParam(q, "count", 20, 100)
	r.mu.RLock()
	posts := r.posts[owner]
	total := len(posts)
	var page []Post
	// Newest first.
	for i := total - 1 - offset; i >= 0 && len(page) < count; i-- {
		page = append(page, posts[i])
	}
	r.mu.RUnlock()
	b := append(make([]byte, 0, 256*len(page)+64), `{"count":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"items":[`...)
	for i, p := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, p.ID, 10)
		b = append(b, `,"owner_id":`...)
		b = strconv.AppendInt(b, p.OwnerID, 10)
		b = append(b, `,"from_id":`...)
		b = strconv.AppendInt(b, p.FromID, 10)
		b = append(b, `,"date":`...)
		b = strconv.AppendInt(b, p.Date, 10)
		b = append(b, `,"text":`...)
		b = core.AppendString(b, p.Text)
		b = append(b, `,"post_type":"post","comments":{"count":0},"likes":{"count":0},"reposts":{"count":0}}`...)
	}
	b = append(b, ']')
	if q.Flag("extended") {
		b = append(b, `,"profiles":[],"groups":[]`...)
	}
	return append(b, '}'), nil
}

func (r *Room) wallPost(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	owner, e := r.OwnerParam(q, tok)
	if e != nil {
		return nil, e
	}
	me := Caller(tok)
	if owner > 0 {
		u, _ := r.User(owner)
		if u.Deactivated != "" {
			return nil, r.coded(vkerr.UserDeleted)
		}
		if u.IsClosed && owner != me {
			return nil, r.coded(vkerr.WallAddPost)
		}
	} else {
		g, _ := r.Group(-owner)
		if g.IsClosed != 0 && !slices.Contains(g.Members, me) {
			return nil, r.coded(vkerr.WallAddPost)
		}
	}
	text, _ := q.Get("message")
	att, _ := q.Get("attachments")
	if strings.TrimSpace(text) == "" && att == "" {
		return nil, r.param("message is empty or invalid")
	}
	from := me
	if owner < 0 && q.Flag("from_group") {
		from = owner
	}
	id, _ := r.AddPost(Post{OwnerID: owner, FromID: from, Text: text})
	return append(strconv.AppendInt([]byte(`{"post_id":`), id, 10), '}'), nil
}

func (r *Room) photosGetAlbums(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	owner, e := r.OwnerParam(q, tok)
	if e != nil {
		return nil, e
	}
	if e := r.ownerAccess(owner, tok); e != nil {
		return nil, e
	}
	var want map[int64]bool
	if v, ok := q.Get("album_ids"); ok && v != "" {
		want = map[int64]bool{}
		for part := range strings.SplitSeq(v, ",") {
			if n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil {
				want[n] = true
			}
		}
	}
	r.mu.RLock()
	var albums []Album
	for _, a := range r.albums {
		if a.OwnerID == owner && (want == nil || want[a.ID]) {
			albums = append(albums, a)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(albums, func(a, b Album) int { return cmp.Compare(a.ID, b.ID) })
	offset := intParam(q, "offset", 0, 1<<30)
	count := intParam(q, "count", len(albums), 1<<30)
	total := len(albums)
	albums = albums[min(offset, total):]
	albums = albums[:min(count, len(albums))]
	b := []byte(`{"count":`)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"items":[`...)
	for i, a := range albums {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, a.ID, 10)
		b = append(b, `,"owner_id":`...)
		b = strconv.AppendInt(b, a.OwnerID, 10)
		b = append(b, `,"title":`...)
		b = core.AppendString(b, a.Title)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(a.Size), 10)
		b = append(b, `,"created":`...)
		b = strconv.AppendInt(b, a.Created, 10)
		b = append(b, `,"updated":`...)
		b = strconv.AppendInt(b, a.Created, 10)
		b = append(b, `,"thumb_id":0,"description":""}`...)
	}
	return append(b, "]}"...), nil
}

func (r *Room) photosGetUploadServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	v, _ := q.Get("album_id")
	if v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, r.param("album_id is invalid")
		}
		a, ok := r.Album(id)
		if ok {
			if a.OwnerID != Caller(tok) {
				if g, _ := q.Get("group_id"); g == "" || "-"+g != strconv.FormatInt(a.OwnerID, 10) {
					return nil, r.coded(vkerr.AccessAlbum)
				}
			}
			if a.Capacity > 0 && a.Size >= a.Capacity {
				return nil, r.coded(vkerr.AlbumFull)
			}
		}
	}
	return r.deps.AlbumUploadServer(q, tok)
}
