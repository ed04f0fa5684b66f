package vkmock

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
)

// The messages methods the world answers: messages.send and messages.edit
// store, messages.getById (messages_read.go) reads back.

func (s *Server) messagesSend(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	from := caller(tok)
	var peers []int64
	multi := false
	parsePeer := func(name, v string) *vkerr.Error {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id == 0 || id < -MaxGroupID || id > ChatPeerBase+MaxUserID {
			return s.paramError(name + " is invalid")
		}
		peers = append(peers, id)
		return nil
	}
	if v, ok := q.Get("peer_ids"); ok && v != "" {
		multi = true
		for part := range strings.SplitSeq(v, ",") {
			if e := parsePeer("peer_ids", part); e != nil {
				return nil, e
			}
			if len(peers) > 100 {
				return nil, s.paramError("peer_ids has too many items, max 100")
			}
		}
	} else if v, ok := q.Get("peer_id"); ok && v != "" {
		if e := parsePeer("peer_id", v); e != nil {
			return nil, e
		}
	} else if v, ok := q.Get("user_id"); ok && v != "" {
		if e := parsePeer("user_id", v); e != nil {
			return nil, e
		}
	} else if v, ok := q.Get("chat_id"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n > MaxUserID {
			return nil, s.paramError("chat_id is invalid")
		}
		peers = append(peers, ChatPeerBase+n)
	} else if v, ok := q.Get("domain"); ok && v != "" {
		id, ok := s.resolveName(v)
		if !ok {
			return nil, s.paramError("domain is invalid")
		}
		peers = append(peers, id)
	} else {
		return nil, s.paramError("peer_id is undefined")
	}
	text, _ := q.Get("message")
	if strings.TrimSpace(text) == "" {
		empty := true
		for _, p := range []string{"attachment", "sticker_id", "forward_messages", "forward", "payload", "template"} {
			if v, ok := q.Get(p); ok && v != "" {
				empty = false
			}
		}
		if empty {
			return nil, s.paramError("message is empty or invalid")
		}
	}
	att, e := s.attachmentParam(q)
	if e != nil {
		return nil, e
	}
	var randomID int64
	if v, ok := q.Get("random_id"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, s.paramError("random_id not integer")
		}
		randomID = n
	}
	for _, p := range peers {
		if p > 0 && p < ChatPeerBase {
			u, _ := s.user(p)
			if u.Deactivated != "" {
				return nil, &vkerr.Error{Code: vkerr.UserDeleted, Message: s.message(vkerr.UserDeleted)}
			}
			if u.IsClosed && p != from {
				return nil, &vkerr.Error{Code: vkerr.MessagesPrivacy, Message: s.message(vkerr.MessagesPrivacy)}
			}
		}
	}
	if !multi {
		id := s.sendMessage(from, peers[0], randomID, text, att)
		return strconv.AppendInt(nil, id, 10), nil
	}
	b := []byte{'['}
	for i, p := range peers {
		id := s.sendMessage(from, p, randomID, text, att)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"peer_id":`...)
		b = strconv.AppendInt(b, p, 10)
		b = append(b, `,"message_id":`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `,"conversation_message_id":`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// messageByID finds a stored message.
func (s *Server) messageByID(id int64) (Message, bool) {
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	if m := s.world.messageLocked(id); m != nil {
		return *m, true
	}
	return Message{}, false
}

// messageLocked is the stored message with the id (ids ascend in the
// store), or nil; the caller holds mu, and a write lock to change it.
func (w *world) messageLocked(id int64) *Message {
	ms := w.messages.All()
	i, ok := slices.BinarySearchFunc(ms, id, func(m Message, id int64) int { return int64Cmp(m.ID, id) })
	if !ok {
		return nil
	}
	return &ms[i]
}

// messagesEdit edits a stored message of the caller; for a community's
// token it emits message_edit.
func (s *Server) messagesEdit(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	peer, err := strconv.ParseInt(firstParam(q, "peer_id"), 10, 64)
	if err != nil {
		return nil, s.paramError("peer_id is invalid")
	}
	idParam := "message_id"
	v := firstParam(q, "message_id")
	if v == "" {
		idParam, v = "cmid", firstParam(q, "cmid")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, s.paramError(idParam + " is invalid")
	}
	text, _ := q.Get("message")
	if strings.TrimSpace(text) == "" {
		if a, _ := q.Get("attachment"); a == "" {
			return nil, s.paramError("message is empty or invalid")
		}
	}
	att, e := s.attachmentParam(q)
	if e != nil {
		return nil, e
	}
	me := caller(tok)
	now := s.now().Unix()
	w := &s.world
	w.mu.Lock()
	stored := w.messageLocked(id)
	if stored == nil || stored.PeerID != peer || stored.DeletedForAll {
		w.mu.Unlock()
		return nil, s.paramError(idParam + " is invalid")
	}
	if stored.FromID != me {
		w.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.MessagesEditKindDisallowed, Message: s.message(vkerr.MessagesEditKindDisallowed)}
	}
	stored.Message = strings.Clone(text) // not a slice of the request's body
	if _, ok := q.Get("attachment"); ok {
		stored.Attachments = att
	}
	m := *stored
	w.mu.Unlock()
	if tok.Kind == TokenGroup {
		if obj, err := json.Marshal(messageObject(m, 1, "", now)); err == nil {
			_, _ = s.emit(tok.GroupID, vkevent.TypeMessageEdit, obj)
		}
	}
	return []byte("1"), nil
}

func firstParam(q *vkRequest, k string) string {
	v, _ := q.Get(k)
	return strings.TrimSpace(v)
}
