package world

import (
	"encoding/json"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The methods that manage a community's Bots Long Poll:
// groups.getLongPollServer, groups.setLongPollSettings and
// groups.getLongPollSettings. The settings and keys are Long Poll's
// (Deps.LongPoll); who may manage a community is the world's.

// ManagedGroup reads group_id and checks that the token may manage it: the
// community's own token, or the user token of the owner (Deps.Owner), who
// may manage every community's Long Poll (the mock models no community
// admins otherwise).
func (r *Room) ManagedGroup(q *core.Request, tok core.Token) (int64, *vkerr.Error) {
	v, _ := q.Get("group_id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || id > MaxGroupID {
		return 0, r.param("group_id is invalid")
	}
	switch {
	case tok.Kind == vkerr.KindGroup && tok.GroupID == id:
	case tok.Kind == vkerr.KindUser && tok.UserID == r.deps.Owner:
	default:
		return 0, r.deps.Messages.With(vkerr.Access, "no access to this community")
	}
	return id, nil
}
func (r *Room) groupsGetLongPollServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	id, e := r.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	if !r.deps.LongPoll.Settings(id).Enabled {
		// VK's words (see docs/vkmock-design.md).
		return nil, r.deps.Messages.With(vkerr.Param, "longpoll for this group is not enabled")
	}
	key, ts, err := r.deps.LongPoll.NewKey(id)
	if err != nil {
		return nil, &vkerr.Error{Code: vkerr.Server, Message: r.deps.Messages.Of(vkerr.Server) + ": " + err.Error()}
	}
	b := []byte(`{"key":`)
	b = strconv.AppendQuote(b, key)
	b = append(b, `,"server":`...)
	b = strconv.AppendQuote(b, q.Base()+"/lp/wh"+strconv.FormatInt(id, 10))
	b = append(b, `,"ts":"`...)
	b = strconv.AppendInt(b, ts, 10)
	return append(b, `"}`...), nil
}

func (r *Room) groupsSetLongPollSettings(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	id, e := r.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	ls := r.deps.LongPoll.Settings(id)
	if v, ok := q.Get("enabled"); ok && v != "" {
		ls.Enabled = q.Flag("enabled")
	}
	if v, ok := q.Get("api_version"); ok && v != "" {
		if _, ok := core.ParseVersion(v); !ok {
			return nil, r.param("api_version is invalid")
		}
		ls.APIVersion = v
	}
	for _, t := range vkevent.Types {
		if v, ok := q.Get(string(t)); ok && v != "" && t != vkevent.TypeConfirmation {
			ls.Events[string(t)] = q.Flag(string(t))
		}
	}
	if err := r.deps.LongPoll.SetSettings(ls); err != nil {
		return nil, r.param(err.Error())
	}
	return []byte("1"), nil
}

func (r *Room) groupsGetLongPollSettings(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	id, e := r.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	ls := r.deps.LongPoll.Settings(id)
	events := map[string]int{}
	for _, t := range vkevent.Types {
		if t != vkevent.TypeConfirmation {
			events[string(t)] = boolInt(ls.Events[string(t)])
		}
	}
	b, _ := json.Marshal(map[string]any{"is_enabled": ls.Enabled, "api_version": ls.APIVersion, "events": events})
	return b, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
