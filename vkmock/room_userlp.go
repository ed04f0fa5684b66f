package vkmock

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
	"github.com/vkerr/vkerr/vkmock/internal/userlp"
	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// The glue of the User Long Poll room (vkmock/internal/userlp): it is
// made in New with the world's profiles, answers its methods, turns the
// communities' message events into the users' updates, and is served at
// /im/u<user_id> with the fault rules applied here.

func init() {
	for _, name := range []string{"messages.getLongPollServer", "messages.getLongPollHistory"} {
		worldMethods[name] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
			return s.ulp.Methods()[name](q, tok)
		}
	}
}

// newUserLP makes the room.
func (s *Server) newUserLP() *userlp.Room {
	return userlp.New(userlp.Deps{
		Clock: s.clk, Seed: s.seed, Msgs: s.msgs(), Limits: userLPLimits(s.lp.Config()),
		MaxUserID: MaxUserID, MaxGroupID: MaxGroupID, World: userLPWorld{s},
	})
}

// userLPLimits are the bounds of User Long Poll in the Long Poll
// configuration.
func userLPLimits(c longpoll.Config) userlp.Limits {
	return userlp.Limits{KeyLifetime: c.KeyLifetime, HistoryEvents: c.HistoryEvents, HistoryBytes: c.HistoryBytes,
		MaxUpdates: c.MaxUpdates, TotalBytes: c.TotalBytes, Users: c.Users}
}

// userLPWorld gives the room the world's users and communities.
type userLPWorld struct{ s *Server }

func (w userLPWorld) AppendUsers(b []byte, ids []int64, q *vkRequest, viewer int64) []byte {
	mask := world.UserFieldMask(q)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		u, _ := w.s.world.User(id)
		b = world.AppendUser(b, u, mask, id == viewer)
	}
	return b
}

func (w userLPWorld) AppendGroups(b []byte, ids []int64, q *vkRequest, viewer int64) []byte {
	fields := world.FieldSet(q)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		g, _ := w.s.world.Group(id)
		b = world.AppendGroup(b, g, fields, viewer)
	}
	return b
}

// userLPEmitted turns a community event into the User Long Poll update of
// the user in the conversation (called from callbackEmit, under the Long
// Poll lock).
func (s *Server) userLPEmitted(groupID int64, typ vkevent.Type, object []byte) {
	ev := vkevent.Event{Type: typ, GroupID: groupID, Object: object}
	var o *vkevent.Message
	code := 4
	switch typ {
	case vkevent.TypeMessageNew: // a user wrote to the community
		if n, err := ev.MessageNew(); err == nil {
			o = n.Message
		}
	case vkevent.TypeMessageReply: // the community wrote to a user
		o, _ = ev.MessageReply()
	case vkevent.TypeMessageEdit:
		o, _ = ev.MessageEdit()
		code = 5
	}
	if o == nil {
		return
	}
	// The object is seen from the community (its peer is the user); the
	// message as stored has the community on one side.
	m := Message{ID: o.ID, FromID: o.FromID, PeerID: -groupID, Date: o.Date, Message: o.Text, RandomID: o.RandomID,
		Attachments: attachmentItems(typ, object)}
	user := o.FromID
	if o.FromID == -groupID {
		user, m.PeerID = o.PeerID, o.PeerID
	}
	if user <= 0 || user > MaxUserID {
		return
	}
	s.world.UserMessageUpdate(user, m, code)
}

// serveUserLongPoll serves GET /im/u<user>?act=a_check&key&ts&wait&mode&version.
func (s *Server) serveUserLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("act") != "a_check" {
		core.WriteJSON(w, http.StatusOK, map[string]any{"failed": 2, "error": "act must be a_check"})
		return
	}
	fq := &vkRequest{Name: "longpoll.user", TLS: r.TLS != nil, Host: r.Host}
	for _, k := range []string{"act", "key", "ts", "wait", "mode", "version"} {
		if v := q.Get(k); v != "" {
			fq.Params = append(fq.Params, kv{Key: k, Value: v})
		}
	}
	forced, truncate, answered := s.longPollFault(w, r, fq)
	if answered {
		return
	}
	body := s.ulp.Check(r.Context(), r.URL.Path, q, forced)
	if body == nil {
		return
	}
	core.WriteBody(w, body, truncate)
}

// attachmentItems are the attachment items ("photo1_2") of the message
// of a message event, from its attachments [{"type","<type>":{"id","owner_id"}}].
func attachmentItems(typ vkevent.Type, object []byte) []string {
	var o struct {
		Message     *struct{ Attachments []map[string]json.RawMessage } `json:"message"`
		Attachments []map[string]json.RawMessage                        `json:"attachments"`
	}
	if json.Unmarshal(object, &o) != nil {
		return nil
	}
	atts := o.Attachments
	if typ == vkevent.TypeMessageNew && o.Message != nil {
		atts = o.Message.Attachments
	}
	var items []string
	for _, a := range atts {
		var t string
		var media struct {
			ID      int64 `json:"id"`
			OwnerID int64 `json:"owner_id"`
		}
		if json.Unmarshal(a["type"], &t) != nil || t == "" || json.Unmarshal(a[t], &media) != nil {
			continue
		}
		items = append(items, t+strconv.FormatInt(media.OwnerID, 10)+"_"+strconv.FormatInt(media.ID, 10))
	}
	return items
}
