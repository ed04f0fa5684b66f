package world

import (
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The methods answered from the world (methodTable), and users.get and
// groups.getById with the JSON of a user and a community.

// methodTable are the methods answered from the world; every other method
// is synthesised from its response schema (or answered by another room).
var methodTable = map[string]func(r *Room, q *core.Request, tok core.Token) ([]byte, *vkerr.Error){
	"users.get":                       (*Room).usersGet,
	"groups.getById":                  (*Room).groupsGetByID,
	"wall.get":                        (*Room).wallGet,
	"wall.post":                       (*Room).wallPostEmitting,
	"photos.getAlbums":                (*Room).photosGetAlbums,
	"photos.getUploadServer":          (*Room).photosGetUploadServer,
	"messages.send":                   (*Room).messagesSendEmitting,
	"messages.edit":                   (*Room).messagesEdit,
	"messages.getById":                (*Room).messagesGetByID,
	"messages.markAsRead":             (*Room).messagesMarkAsRead,
	"messages.markAsImportant":        (*Room).messagesMarkAsImportant,
	"messages.delete":                 (*Room).messagesDelete,
	"messages.setActivity":            (*Room).messagesSetActivity,
	"messages.sendMessageEventAnswer": (*Room).messagesSendMessageEventAnswer,
	"account.setOnline":               (*Room).accountSetOnline,
	"account.setOffline":              (*Room).accountSetOffline,
	"groups.getLongPollServer":        (*Room).groupsGetLongPollServer,
	"groups.setLongPollSettings":      (*Room).groupsSetLongPollSettings,
	"groups.getLongPollSettings":      (*Room).groupsGetLongPollSettings,
	"utils.resolveScreenName":         (*Room).utilsResolveScreenName,
	"utils.getServerTime":             (*Room).utilsGetServerTime,
	"account.getAppPermissions":       (*Room).accountGetAppPermissions,
}

// MethodNames returns the names of the methods the world answers.
func MethodNames() []string {
	names := make([]string, 0, len(methodTable))
	for n := range methodTable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// param is error 100 with detail.
func (r *Room) param(detail string) *vkerr.Error { return r.deps.Messages.Param(detail) }

// coded is error c with VK's message of it.
func (r *Room) coded(c vkerr.Code) *vkerr.Error {
	return &vkerr.Error{Code: c, Message: r.deps.Messages.Of(c)}
}

// Caller is the owner id of the token: the user, or minus the community
// (core.Caller, shared with the uploads room).
func Caller(tok core.Token) int64 { return core.Caller(tok) }

func (r *Room) usersGet(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	raw, _ := q.Get("user_ids")
	var ids []int64
	if raw == "" {
		if tok.Kind == vkerr.KindUser {
			ids = []int64{tok.UserID}
		}
	} else {
		var ok bool
		ids, ok = idsParam(raw, 1000, MaxUserID, func(name string) (int64, bool) {
			id, ok := r.ResolveName(name)
			return id, ok && id >= 0
		})
		if !ok {
			return nil, r.coded(vkerr.ParamUserID)
		}
	}
	fields := UserFieldMask(q)
	me := Caller(tok)
	b := make([]byte, 0, 160*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		u, _ := r.User(id)
		b = AppendUser(b, u, fields, me == id)
	}
	return append(b, ']'), nil
}

// FieldSet returns the names listed in the fields parameter (nil when it
// is absent).
func FieldSet(q *core.Request) map[string]bool {
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

// UserFieldMask returns the bits of the requested fields users.get fills,
// one per entry of userFields.
func UserFieldMask(q *core.Request) uint32 {
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

// AppendUser appends the JSON of a user as users.get answers it: fields is
// UserFieldMask's, self whether the caller is the user.
func AppendUser(b []byte, u User, fields uint32, self bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, u.ID, 10)
	b = append(b, `,"first_name":`...)
	b = core.AppendString(b, u.FirstName)
	b = append(b, `,"last_name":`...)
	b = core.AppendString(b, u.LastName)
	if u.Deactivated != "" {
		b = append(b, `,"deactivated":`...)
		b = core.AppendString(b, u.Deactivated)
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
				b = core.AppendString(b, u.ScreenName)
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

func (r *Room) groupsGetByID(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	raw, _ := q.Get("group_ids")
	param := "group_ids"
	if raw == "" {
		raw, _ = q.Get("group_id")
		param = "group_id"
	}
	var ids []int64
	if raw == "" {
		if tok.Kind != vkerr.KindGroup {
			return nil, r.param("group_ids is undefined")
		}
		ids = []int64{tok.GroupID}
	}
	if raw != "" {
		var ok bool
		ids, ok = idsParam(raw, 500, MaxGroupID, func(name string) (int64, bool) {
			id, ok := r.ResolveName(name) // a community's is negative
			return -id, ok && id <= 0
		})
		if !ok {
			return nil, r.param(param + " is undefined")
		}
	}
	fields := FieldSet(q)
	me := Caller(tok)
	b := append(make([]byte, 0, 160*len(ids)+32), `{"groups":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		g, _ := r.Group(id)
		b = AppendGroup(b, g, fields, me)
	}
	return append(b, `],"profiles":[]}`...), nil
}

// AppendGroup appends the JSON of a community as groups.getById answers it
// to the caller me (is_member is given to a user).
func AppendGroup(b []byte, g Group, fields map[string]bool, me int64) []byte {
	name := g.ScreenName
	if name == "" {
		name = "club" + strconv.FormatInt(g.ID, 10)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, g.ID, 10)
	b = append(b, `,"name":`...)
	b = core.AppendString(b, g.Name)
	b = append(b, `,"screen_name":`...)
	b = core.AppendString(b, name)
	b = append(b, `,"is_closed":`...)
	b = strconv.AppendInt(b, int64(g.IsClosed), 10)
	b = append(b, `,"type":`...)
	b = core.AppendString(b, g.Type)
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
		b = core.AppendString(b, "https://sun9-1.userapi.com/vkmock/g"+strconv.FormatInt(g.ID, 10)+"_"+size+".jpg")
	}
	if fields["members_count"] {
		b = append(b, `,"members_count":`...)
		b = strconv.AppendInt(b, int64(len(g.Members)), 10)
	}
	return append(b, '}')
}

// idsParam reads a comma-separated list of ids or screen names (byName
// resolves a name; its false refuses it), up to limit of them; empty
// items are skipped. ok is false at the first item that is not an id from
// 1 to maxID.
func idsParam(raw string, limit int, maxID int64, byName func(string) (int64, bool)) (ids []int64, ok bool) {
	for part := range strings.SplitSeq(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			if id, ok = byName(part); !ok {
				return nil, false
			}
		}
		if id <= 0 || id > maxID {
			return nil, false
		}
		if ids = append(ids, id); len(ids) == limit {
			break
		}
	}
	return ids, true
}
