package world

import (
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The utils and account methods the world answers.

func (r *Room) utilsResolveScreenName(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	name, _ := q.Get("screen_name")
	name = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "https://"), "vk.com/"), "@")
	id, ok := r.ResolveName(name)
	if !ok {
		return []byte("[]"), nil
	}
	typ := "user"
	if id < 0 {
		g, _ := r.Group(-id)
		typ, id = g.Type, -id
	} else if u, _ := r.User(id); u.Deactivated != "" {
		return []byte("[]"), nil
	}
	b := append([]byte(`{"type":`), core.AppendString(nil, typ)...)
	b = append(b, `,"object_id":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '}'), nil
}

func (r *Room) utilsGetServerTime(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return strconv.AppendInt(nil, r.now(), 10), nil
}

// scopeBits are VK's permission bits.
var scopeBits = map[string]int64{
	"notify": 1, "friends": 2, "photos": 4, "audio": 8, "video": 16, "stories": 64, "pages": 128, "menu": 256,
	"status": 1024, "notes": 2048, "messages": 4096, "wall": 8192, "ads": 32768, "offline": 65536, "docs": 131072,
	"groups": 262144, "notifications": 524288, "stats": 1048576, "email": 4194304, "market": 134217728, "phone": 268435456,
}

func (r *Room) accountGetAppPermissions(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	if v, ok := q.Get("user_id"); ok && v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 || id > MaxUserID {
			return nil, r.coded(vkerr.ParamUserID)
		}
		if id != tok.UserID {
			return []byte("0"), nil
		}
	}
	var mask int64
	for _, sc := range tok.Scopes {
		mask |= scopeBits[sc]
	}
	return strconv.AppendInt(nil, mask, 10), nil
}
