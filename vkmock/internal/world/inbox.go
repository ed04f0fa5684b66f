package world

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The events of messages and posts: a user writing to a community
// (Inbox), the community's messages.send and wall.post, and an event
// injected as is (Inject).

// InboxMessage is a message a user writes to a community (POST
// /__vkmock/inbox).
type InboxMessage struct {
	FromID  int64  `json:"from_id"`
	GroupID int64  `json:"group_id"`
	Text    string `json:"text"`
	// Payload is the payload of a keyboard button (JSON, at most 1000
	// bytes as on VK).
	Payload string `json:"payload,omitempty"`
}

// InboxResult is the stored message and the message_new event it emitted.
type InboxResult struct {
	Message
	Payload string  `json:"payload,omitempty"`
	Event   Emitted `json:"event"`
}

// Inbox stores a message from a user to a community and emits message_new.
func (r *Room) Inbox(m InboxMessage) (InboxResult, error) {
	if m.FromID <= 0 || m.FromID > MaxUserID {
		return InboxResult{}, errors.New("vkmock: inbox from_id must be a user id")
	}
	if m.GroupID <= 0 || m.GroupID > MaxGroupID {
		return InboxResult{}, errors.New("vkmock: inbox group_id must be a community id")
	}
	if strings.TrimSpace(m.Text) == "" && m.Payload == "" {
		return InboxResult{}, errors.New("vkmock: inbox message needs text or payload")
	}
	if len(m.Text) > 4096 {
		return InboxResult{}, errors.New("vkmock: inbox text is longer than 4096 bytes")
	}
	if m.Payload != "" && (len(m.Payload) > 1000 || !json.Valid([]byte(m.Payload))) {
		return InboxResult{}, errors.New("vkmock: inbox payload must be JSON of at most 1000 bytes")
	}
	if u, _ := r.User(m.FromID); u.Deactivated != "" {
		return InboxResult{}, fmt.Errorf("vkmock: user %d is %s", m.FromID, u.Deactivated)
	}
	id := r.sendMessage(m.FromID, -m.GroupID, 0, m.Text, nil)
	stored, _ := r.message(id)
	ev, err := r.emitInbox(stored, m.Payload)
	if err != nil {
		return InboxResult{}, err
	}
	return InboxResult{Message: stored, Payload: m.Payload, Event: ev}, nil
}

// messagesSendEmitting runs messages.send and, for each message it stored
// (not for a repeated random_id), emits message_reply for a community's
// token, or makes a user's updates (userSent).
func (r *Room) messagesSendEmitting(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	before := r.lastMessageID()
	b, e := r.messagesSend(q, tok)
	if e != nil || (tok.Kind != vkerr.KindGroup && tok.Kind != vkerr.KindUser) {
		return b, e
	}
	var ids []int64
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		ids = append(ids, n)
	} else {
		var multi []struct {
			MessageID int64 `json:"message_id"`
		}
		_ = json.Unmarshal(b, &multi)
		for _, m := range multi {
			ids = append(ids, m.MessageID)
		}
	}
	for _, id := range ids {
		if id <= before {
			continue // a resend the random_id deduplicated
		}
		m, ok := r.message(id)
		switch {
		case !ok:
		case tok.Kind == vkerr.KindUser:
			r.userSent(m)
		default:
			r.emitBot(tok.GroupID, vkevent.TypeMessageReply, messageObject(m, 1, "", 0))
		}
	}
	return b, nil
}

// wallPostEmitting runs wall.post and emits wall_post_new when the post is
// on a community's wall on its behalf.
func (r *Room) wallPostEmitting(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	b, e := r.wallPost(q, tok)
	if e != nil {
		return b, e
	}
	var res struct {
		PostID int64 `json:"post_id"`
	}
	if json.Unmarshal(b, &res) != nil {
		return b, nil
	}
	owner, _ := strconv.ParseInt(firstParam(q, "owner_id"), 10, 64)
	if owner == 0 {
		owner = Caller(tok)
	}
	if owner >= 0 {
		return b, nil
	}
	p, found := r.post(owner, res.PostID)
	if !found || p.FromID != owner {
		return b, nil
	}
	r.emitBot(-owner, vkevent.TypeWallPostNew, map[string]any{
		"id": p.ID, "owner_id": p.OwnerID, "from_id": p.FromID, "created_by": Caller(tok), "date": p.Date, "marked_as_ads": 0,
		"post_type": "post", "text": p.Text, "can_edit": 1, "can_delete": 1, "attachments": []any{}, "comments": map[string]int{"count": 0},
	})
	return b, nil
}

// InjectedEvent is an event to emit as is (POST /__vkmock/events): its
// object in the 5.103+ shape.
type InjectedEvent struct {
	Type    vkevent.Type    `json:"type"`
	GroupID int64           `json:"group_id"`
	Object  json.RawMessage `json:"object,omitempty"`
}

// maxInjectedObject bounds the object of an injected event.
const maxInjectedObject = 64 << 10

// Inject validates an event against the schema (a known type, an object
// with the fields the schema requires) and emits it.
func (r *Room) Inject(e InjectedEvent) (Emitted, error) {
	ev := vkevent.Event{Type: e.Type, GroupID: e.GroupID, Object: e.Object}
	if err := ev.Validate(); err != nil {
		return Emitted{}, err
	}
	if e.GroupID > MaxGroupID {
		return Emitted{}, errors.New("vkmock: group_id is out of range")
	}
	if e.Type == vkevent.TypeConfirmation {
		return Emitted{}, errors.New("vkmock: confirmation is not an event of the world")
	}
	if len(e.Object) > maxInjectedObject {
		return Emitted{}, errors.New("vkmock: an injected object is at most 64 KiB")
	}
	obj := e.Object
	if len(obj) == 0 {
		obj = json.RawMessage("{}")
	}
	compact, err := compactJSON(obj)
	if err != nil {
		return Emitted{}, err
	}
	return r.deps.Events.Bot(e.GroupID, e.Type, compact)
}

func compactJSON(b []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
