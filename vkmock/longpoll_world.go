package vkmock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
)

// Where the world's events come from: a user writing to a community
// (World().Inbox), a callback button pressed (World().PressButton → message_event, answered
// by messages.sendMessageEventAnswer), the community's own messages.send
// and messages.edit (message_reply, message_edit), wall.post on the
// community's wall on its behalf (wall_post_new), and any event injected
// as is (LongPoll().Inject, validated against the schema).

func init() {
	worldMethods["groups.getLongPollServer"] = (*Server).groupsGetLongPollServer
	worldMethods["groups.setLongPollSettings"] = (*Server).groupsSetLongPollSettings
	worldMethods["groups.getLongPollSettings"] = (*Server).groupsGetLongPollSettings
	worldMethods["messages.sendMessageEventAnswer"] = (*Server).messagesSendMessageEventAnswer
	worldMethods["messages.edit"] = (*Server).messagesEdit
	send := worldMethods["messages.send"]
	worldMethods["messages.send"] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
		return s.emitReplies(send, q, tok)
	}
	post := worldMethods["wall.post"]
	worldMethods["wall.post"] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
		return s.emitWallPost(post, q, tok)
	}
}

// longPollAdmin is the user whose user token may manage every community's
// Long Poll (the mock models no community admins otherwise).
const longPollAdmin = DefaultUserID

// lpGroupParam reads group_id and checks that the token may manage it: the
// community's own token, or the admin's user token.
func (s *Server) lpGroupParam(q *vkRequest, tok Token) (int64, *vkerr.Error) {
	v, _ := q.Get("group_id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || id > MaxGroupID {
		return 0, s.paramError("group_id is invalid")
	}
	switch {
	case tok.Kind == TokenGroup && tok.GroupID == id:
	case tok.Kind == TokenUser && tok.UserID == longPollAdmin:
	default:
		return 0, s.withSuffix(vkerr.Access, "no access to this community")
	}
	return id, nil
}

func (s *Server) groupsGetLongPollServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	id, e := s.lpGroupParam(q, tok)
	if e != nil {
		return nil, e
	}
	if !s.LongPoll().Settings(id).Enabled {
		// VK's words (see docs/vkmock-design.md).
		return nil, s.withSuffix(vkerr.Param, "longpoll for this group is not enabled")
	}
	key, ts, err := s.newLongPollKey(id)
	if err != nil {
		return nil, &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server) + ": " + err.Error()}
	}
	b := []byte(`{"key":`)
	b = strconv.AppendQuote(b, key)
	b = append(b, `,"server":`...)
	b = strconv.AppendQuote(b, q.Base()+"/lp/wh"+strconv.FormatInt(id, 10))
	b = append(b, `,"ts":"`...)
	b = strconv.AppendInt(b, ts, 10)
	return append(b, `"}`...), nil
}

func (s *Server) groupsSetLongPollSettings(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	id, e := s.lpGroupParam(q, tok)
	if e != nil {
		return nil, e
	}
	ls := s.LongPoll().Settings(id)
	if v, ok := q.Get("enabled"); ok && v != "" {
		ls.Enabled = q.Flag("enabled")
	}
	if v, ok := q.Get("api_version"); ok && v != "" {
		if _, ok := parseVersion(v); !ok {
			return nil, s.paramError("api_version is invalid")
		}
		ls.APIVersion = v
	}
	for _, t := range vkevent.Types {
		if v, ok := q.Get(string(t)); ok && v != "" && t != vkevent.TypeConfirmation {
			ls.Events[string(t)] = q.Flag(string(t))
		}
	}
	if err := s.LongPoll().SetSettings(ls); err != nil {
		return nil, s.paramError(err.Error())
	}
	return []byte("1"), nil
}

func (s *Server) groupsGetLongPollSettings(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	id, e := s.lpGroupParam(q, tok)
	if e != nil {
		return nil, e
	}
	ls := s.LongPoll().Settings(id)
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

// messageObject is a stored message as VK puts it in an event object.
func messageObject(m Message, out int, payload string, updated int64) map[string]any {
	o := map[string]any{
		"date": m.Date, "from_id": m.FromID, "id": m.ID, "out": out, "peer_id": m.PeerID, "text": m.Message,
		"conversation_message_id": m.ID, "fwd_messages": []any{}, "important": false, "random_id": m.RandomID,
		"attachments": attachmentObjects(m.Attachments, m.Date), "is_hidden": false,
	}
	if payload != "" {
		o["payload"] = payload
	}
	if updated != 0 {
		o["update_time"] = updated
	}
	return o
}

// clientInfo is the client_info of the mock's users: a current app.
var clientInfo = map[string]any{
	"button_actions":  []string{"text", "vkpay", "open_app", "location", "open_link", "callback", "intent_subscribe", "intent_unsubscribe"},
	"keyboard":        true,
	"inline_keyboard": true,
	"carousel":        true,
	"lang_id":         0,
}

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
	Payload string       `json:"payload,omitempty"`
	Event   EmittedEvent `json:"event"`
}

// Inbox stores a message from a user to a community and emits message_new.
func (ctl WorldControl) Inbox(m InboxMessage) (InboxResult, error) {
	s := ctl.s
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
	if u, _ := s.user(m.FromID); u.Deactivated != "" {
		return InboxResult{}, fmt.Errorf("vkmock: user %d is %s", m.FromID, u.Deactivated)
	}
	id := s.sendMessage(m.FromID, -m.GroupID, 0, m.Text, nil)
	stored, _ := s.messageByID(id)
	ev, err := s.emitInbox(stored, m.Payload)
	if err != nil {
		return InboxResult{}, err
	}
	return InboxResult{Message: stored, Payload: m.Payload, Event: ev}, nil
}

// emitInbox emits message_new for a stored message from a user to a
// community.
func (s *Server) emitInbox(stored Message, payload string) (EmittedEvent, error) {
	// Seen from the community, the conversation's peer is the user.
	seen := stored
	seen.PeerID = stored.FromID
	obj, err := json.Marshal(map[string]any{"message": messageObject(seen, 0, payload, 0), "client_info": clientInfo})
	if err != nil {
		return EmittedEvent{}, err
	}
	return s.emit(-stored.PeerID, vkevent.TypeMessageNew, obj)
}

// emitReplies runs messages.send and, for each message it stored (not for
// a repeated random_id), emits message_reply for a community's token, or
// makes a user's updates (userSent).
func (s *Server) emitReplies(send worldFunc, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	s.world.mu.RLock()
	before := s.world.msgSeq
	s.world.mu.RUnlock()
	b, e := send(s, q, tok)
	if e != nil || (tok.Kind != TokenGroup && tok.Kind != TokenUser) {
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
		m, ok := s.messageByID(id)
		switch {
		case !ok:
		case tok.Kind == TokenUser:
			s.userSent(m)
		default:
			if obj, err := json.Marshal(messageObject(m, 1, "", 0)); err == nil {
				_, _ = s.emit(tok.GroupID, vkevent.TypeMessageReply, obj) // past the bound on communities: no event
			}
		}
	}
	return b, nil
}

// emitWallPost runs wall.post and emits wall_post_new when the post is on
// a community's wall on its behalf.
func (s *Server) emitWallPost(post worldFunc, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	b, e := post(s, q, tok)
	if e != nil {
		return b, e
	}
	var r struct {
		PostID int64 `json:"post_id"`
	}
	if json.Unmarshal(b, &r) != nil {
		return b, nil
	}
	owner, _ := strconv.ParseInt(firstParam(q, "owner_id"), 10, 64)
	if owner == 0 {
		owner = caller(tok)
	}
	if owner >= 0 {
		return b, nil
	}
	s.world.mu.RLock()
	var p Post
	found := false
	for _, x := range s.world.posts[owner] {
		if x.ID == r.PostID {
			p, found = x, true
		}
	}
	s.world.mu.RUnlock()
	if !found || p.FromID != owner {
		return b, nil
	}
	obj, err := json.Marshal(map[string]any{
		"id": p.ID, "owner_id": p.OwnerID, "from_id": p.FromID, "created_by": caller(tok), "date": p.Date, "marked_as_ads": 0,
		"post_type": "post", "text": p.Text, "can_edit": 1, "can_delete": 1, "attachments": []any{}, "comments": map[string]int{"count": 0},
	})
	if err == nil {
		_, _ = s.emit(-owner, vkevent.TypeWallPostNew, obj)
	}
	return b, nil
}

// InjectedEvent is an event to emit as is (POST /__vkmock/events): its
// object in the 5.103+ shape.
type InjectedEvent struct {
	Type    vkevent.Type    `json:"type"`
	GroupID int64           `json:"group_id"`
	Object  json.RawMessage `json:"object,omitempty"`
}

// Inject validates an event against the schema (a known type, an
// object with the fields the schema requires) and emits it.
func (ctl LongPollControl) Inject(e InjectedEvent) (EmittedEvent, error) {
	return ctl.s.lp.Inject(e.GroupID, e.Type, e.Object)
}
