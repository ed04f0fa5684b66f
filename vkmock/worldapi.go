package vkmock

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// worldFunc answers a method from the world: the JSON of "response", or
// the error.
type worldFunc func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error)

// worldMethods are the methods answered from the world; every other method
// is synthesised from its response schema.
var worldMethods = map[string]worldFunc{
	"users.get":                 (*Server).usersGet,
	"groups.getById":            (*Server).groupsGetByID,
	"wall.get":                  (*Server).wallGet,
	"wall.post":                 (*Server).wallPost,
	"photos.getAlbums":          (*Server).photosGetAlbums,
	"photos.getUploadServer":    (*Server).photosGetUploadServer,
	"messages.send":             (*Server).messagesSend,
	"utils.resolveScreenName":   (*Server).utilsResolveScreenName,
	"utils.getServerTime":       (*Server).utilsGetServerTime,
	"account.getAppPermissions": (*Server).accountGetAppPermissions,
}

func (s *Server) paramError(detail string) *vkerr.Error {
	return s.msgs().Param(detail)
}

// caller is the owner id of the token: the user, or minus the community.
func caller(tok Token) int64 {
	switch tok.Kind {
	case TokenUser:
		return tok.UserID
	case TokenGroup:
		return -tok.GroupID
	}
	return 0
}

func (s *Server) usersGet(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	raw, _ := q.Get("user_ids")
	var ids []int64
	if raw == "" {
		if tok.Kind == TokenUser {
			ids = []int64{tok.UserID}
		}
	} else {
		for part := range strings.SplitSeq(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				var ok bool
				id, ok = s.resolveName(part)
				if !ok || id < 0 {
					return nil, &vkerr.Error{Code: vkerr.ParamUserID, Message: s.message(vkerr.ParamUserID)}
				}
			}
			if id <= 0 || id > MaxUserID {
				return nil, &vkerr.Error{Code: vkerr.ParamUserID, Message: s.message(vkerr.ParamUserID)}
			}
			ids = append(ids, id)
			if len(ids) == 1000 {
				break
			}
		}
	}
	fields := userFieldMask(q)
	me := caller(tok)
	b := make([]byte, 0, 160*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		u, _ := s.user(id)
		b = appendUser(b, u, fields, me == id)
	}
	return append(b, ']'), nil
}

func fieldSet(q *vkRequest) map[string]bool {
	f, _ := q.Get("fields")
	if f == "" {
		return nil
	}
	out := map[string]bool{}
	for name := range strings.SplitSeq(f, ",") {
		out[strings.TrimSpace(name)] = true
	}
	return out
}

// userFieldMask returns the bits of the requested fields users.get fills,
// one per entry of userFields.
func userFieldMask(q *vkRequest) uint32 {
	f, _ := q.Get("fields")
	var mask uint32
	for f != "" {
		var name string
		name, f, _ = strings.Cut(f, ",")
		name = strings.TrimSpace(name)
		for i, uf := range userFields {
			if uf == name {
				mask |= 1 << i
				break
			}
		}
	}
	return mask
}

func appendUser(b []byte, u User, fields uint32, self bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, u.ID, 10)
	b = append(b, `,"first_name":`...)
	b = appendString(b, u.FirstName)
	b = append(b, `,"last_name":`...)
	b = appendString(b, u.LastName)
	if u.Deactivated != "" {
		b = append(b, `,"deactivated":`...)
		b = appendString(b, u.Deactivated)
	}
	b = append(b, `,"can_access_closed":`...)
	b = strconv.AppendBool(b, !u.IsClosed || self)
	b = append(b, `,"is_closed":`...)
	b = strconv.AppendBool(b, u.IsClosed)
	if fields == 0 {
		return append(b, '}')
	}
	for i, f := range userFields {
		if fields&(1<<i) == 0 {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, f...)
		b = append(b, '"', ':')
		switch f {
		case "screen_name", "domain":
			if u.ScreenName != "" {
				b = appendString(b, u.ScreenName)
			} else {
				b = append(b, `"id`...)
				b = strconv.AppendInt(b, u.ID, 10)
				b = append(b, '"')
			}
		case "sex":
			b = strconv.AppendInt(b, int64(u.Sex), 10)
		case "photo_50", "photo_100", "photo_200", "photo_max", "photo_200_orig", "photo_400_orig", "photo_max_orig":
			size := strings.TrimSuffix(f[len("photo_"):], "_orig")
			if u.Deactivated != "" {
				b = append(b, `"https://vk.com/images/deactivated_`...)
				b = append(b, size...)
				b = append(b, `.png"`...)
			} else {
				b = append(b, `"https://sun9-1.userapi.com/vkmock/u`...)
				b = strconv.AppendInt(b, u.ID, 10)
				b = append(b, '_')
				b = append(b, size...)
				b = append(b, `.jpg"`...)
			}
		case "online", "verified":
			b = append(b, '0')
		case "has_photo":
			if u.Deactivated != "" {
				b = append(b, '0')
			} else {
				b = append(b, '1')
			}
		case "status":
			b = append(b, `""`...)
		case "can_write_private_message":
			if u.Deactivated != "" || u.IsClosed {
				b = append(b, '0')
			} else {
				b = append(b, '1')
			}
		}
	}
	return append(b, '}')
}

// userFields are the fields users.get fills, in answer order.
var userFields = []string{"photo_50", "photo_100", "photo_200", "photo_max", "photo_200_orig", "photo_400_orig", "photo_max_orig",
	"screen_name", "domain", "sex", "online", "verified", "has_photo", "status", "can_write_private_message"}

func (s *Server) groupsGetByID(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	raw, _ := q.Get("group_ids")
	param := "group_ids"
	if raw == "" {
		raw, _ = q.Get("group_id")
		param = "group_id"
	}
	var ids []int64
	if raw == "" {
		if tok.Kind != TokenGroup {
			return nil, s.paramError("group_ids is undefined")
		}
		ids = []int64{tok.GroupID}
	}
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			var ok bool
			id, ok = s.resolveName(part)
			if !ok || id > 0 {
				return nil, s.paramError(param + " is undefined")
			}
			id = -id
		}
		if id <= 0 || id > MaxGroupID {
			return nil, s.paramError(param + " is undefined")
		}
		ids = append(ids, id)
		if len(ids) == 500 {
			break
		}
	}
	fields := fieldSet(q)
	me := caller(tok)
	b := append(make([]byte, 0, 160*len(ids)+32), `{"groups":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		g, _ := s.group(id)
		b = appendGroup(b, g, fields, me)
	}
	return append(b, `],"profiles":[]}`...), nil
}

func appendGroup(b []byte, g Group, fields map[string]bool, me int64) []byte {
	name := g.ScreenName
	if name == "" {
		name = "club" + strconv.FormatInt(g.ID, 10)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, g.ID, 10)
	b = append(b, `,"name":`...)
	b = appendString(b, g.Name)
	b = append(b, `,"screen_name":`...)
	b = appendString(b, name)
	b = append(b, `,"is_closed":`...)
	b = strconv.AppendInt(b, int64(g.IsClosed), 10)
	b = append(b, `,"type":`...)
	b = appendString(b, g.Type)
	if me > 0 {
		b = append(b, `,"is_member":`...)
		if slices.Contains(g.Members, me) {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	for _, size := range []string{"50", "100", "200"} {
		b = append(b, `,"photo_`+size+`":`...)
		b = appendString(b, "https://sun9-1.userapi.com/vkmock/g"+strconv.FormatInt(g.ID, 10)+"_"+size+".jpg")
	}
	if fields["members_count"] {
		b = append(b, `,"members_count":`...)
		b = strconv.AppendInt(b, int64(len(g.Members)), 10)
	}
	return append(b, '}')
}

// ownerParam reads owner_id (or domain), defaulting to the caller.
func (s *Server) ownerParam(q *vkRequest, tok Token) (int64, *vkerr.Error) {
	if v, ok := q.Get("owner_id"); ok && v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 || id > MaxUserID || -id > MaxGroupID {
			return 0, s.paramError("owner_id is invalid")
		}
		return id, nil
	}
	if v, ok := q.Get("domain"); ok && v != "" {
		id, ok := s.resolveName(v)
		if !ok {
			return 0, s.paramError("domain is invalid")
		}
		return id, nil
	}
	if me := caller(tok); me != 0 {
		return me, nil
	}
	return 0, s.paramError("owner_id is undefined")
}

// ownerAccess checks that the caller may see an owner's content: 18 for
// a deleted or banned user, 30 for someone else's private profile, 15 for
// a closed community and 203 for a private one the caller is not in.
func (s *Server) ownerAccess(owner int64, tok Token) *vkerr.Error {
	me := caller(tok)
	if owner > 0 {
		u, _ := s.user(owner)
		if u.Deactivated != "" {
			return &vkerr.Error{Code: vkerr.UserDeleted, Message: s.message(vkerr.UserDeleted)}
		}
		if u.IsClosed && me != owner {
			return &vkerr.Error{Code: vkerr.PrivateProfile, Message: s.message(vkerr.PrivateProfile)}
		}
		return nil
	}
	g, _ := s.group(-owner)
	if me == owner || slices.Contains(g.Members, me) {
		return nil
	}
	switch g.IsClosed {
	case 1:
		return s.withSuffix(vkerr.Access, "this wall available only for community members")
	case 2:
		return &vkerr.Error{Code: vkerr.AccessGroup, Message: s.message(vkerr.AccessGroup)}
	}
	return nil
}

func intParam(q *vkRequest, name string, def, maxV int) int {
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

func (s *Server) wallGet(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	owner, e := s.ownerParam(q, tok)
	if e != nil {
		return nil, e
	}
	if e := s.ownerAccess(owner, tok); e != nil {
		return nil, e
	}
	offset := intParam(q, "offset", 0, 1<<30)
	count := intParam(q, "count", 20, 100)
	s.world.mu.RLock()
	posts := s.world.posts[owner]
	total := len(posts)
	var page []Post
	// Newest first.
	for i := total - 1 - offset; i >= 0 && len(page) < count; i-- {
		page = append(page, posts[i])
	}
	s.world.mu.RUnlock()
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
		b = appendString(b, p.Text)
		b = append(b, `,"post_type":"post","comments":{"count":0},"likes":{"count":0},"reposts":{"count":0}}`...)
	}
	b = append(b, ']')
	if q.Flag("extended") {
		b = append(b, `,"profiles":[],"groups":[]`...)
	}
	return append(b, '}'), nil
}

func (s *Server) wallPost(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	owner, e := s.ownerParam(q, tok)
	if e != nil {
		return nil, e
	}
	me := caller(tok)
	if owner > 0 {
		u, _ := s.user(owner)
		if u.Deactivated != "" {
			return nil, &vkerr.Error{Code: vkerr.UserDeleted, Message: s.message(vkerr.UserDeleted)}
		}
		if u.IsClosed && owner != me {
			return nil, &vkerr.Error{Code: vkerr.WallAddPost, Message: s.message(vkerr.WallAddPost)}
		}
	} else {
		g, _ := s.group(-owner)
		if g.IsClosed != 0 && !slices.Contains(g.Members, me) {
			return nil, &vkerr.Error{Code: vkerr.WallAddPost, Message: s.message(vkerr.WallAddPost)}
		}
	}
	text, _ := q.Get("message")
	att, _ := q.Get("attachments")
	if strings.TrimSpace(text) == "" && att == "" {
		return nil, s.paramError("message is empty or invalid")
	}
	from := me
	if owner < 0 && q.Flag("from_group") {
		from = owner
	}
	id, _ := s.World().AddPost(Post{OwnerID: owner, FromID: from, Text: text})
	return append(strconv.AppendInt([]byte(`{"post_id":`), id, 10), '}'), nil
}

func (s *Server) photosGetAlbums(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	owner, e := s.ownerParam(q, tok)
	if e != nil {
		return nil, e
	}
	if e := s.ownerAccess(owner, tok); e != nil {
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
	s.world.mu.RLock()
	var albums []Album
	for _, a := range s.world.albums {
		if a.OwnerID == owner && (want == nil || want[a.ID]) {
			albums = append(albums, a)
		}
	}
	s.world.mu.RUnlock()
	slices.SortFunc(albums, func(a, b Album) int { return int64Cmp(a.ID, b.ID) })
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
		b = appendString(b, a.Title)
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

func (s *Server) photosGetUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	v, _ := q.Get("album_id")
	if v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, s.paramError("album_id is invalid")
		}
		s.world.mu.RLock()
		a, ok := s.world.albums[id]
		s.world.mu.RUnlock()
		if ok {
			if a.OwnerID != caller(tok) {
				if g, _ := q.Get("group_id"); g == "" || "-"+g != strconv.FormatInt(a.OwnerID, 10) {
					return nil, &vkerr.Error{Code: vkerr.AccessAlbum, Message: s.message(vkerr.AccessAlbum)}
				}
			}
			if a.Capacity > 0 && a.Size >= a.Capacity {
				return nil, &vkerr.Error{Code: vkerr.AlbumFull, Message: s.message(vkerr.AlbumFull)}
			}
		}
	}
	return s.albumUploadServer(q, tok)
}
