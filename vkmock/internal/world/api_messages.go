package world

import (
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The messages methods the world answers: messages.send and messages.edit
// store, messages.getById (messages_read.go) reads back.

func (r *Room) messagesSend(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	from := Caller(tok)
	var peers []int64
	multi := false
	parsePeer := func(name, v string) *vkerr.Error {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id == 0 || id < -MaxGroupID || id > ChatPeerBase+MaxUserID {
			return r.param(name + " is invalid")
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
				return nil, r.param("peer_ids has too many items, max 100")
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
			return nil, r.param("chat_id is invalid")
		}
		peers = append(peers, ChatPeerBase+n)
	} else if v, ok := q.Get("domain"); ok && v != "" {
		id, ok := r.ResolveName(v)
		if !ok {
			return nil, r.param("domain is invalid")
		}
		peers = append(peers, id)
	} else {
		return nil, r.param("peer_id is undefined")
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
			return nil, r.param("message is empty or invalid")
		}
	}
	att, e := r.attachmentParam(q)
	if e != nil {
		return nil, e
	}
	var randomID int64
	if v, ok := q.Get("random_id"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, r.param("random_id not integer")
		}
		randomID = n
	}
	for _, p := range peers {
		if p > 0 && p < ChatPeerBase {
			u, _ := r.User(p)
			if u.Deactivated != "" {
				return nil, r.coded(vkerr.UserDeleted)
			}
			if u.IsClosed && p != from {
				return nil, r.coded(vkerr.MessagesPrivacy)
			}
		}
	}
	if !multi {
		id := r.sendMessage(from, peers[0], randomID, text, att)
		return strconv.AppendInt(nil, id, 10), nil
	}
	b := []byte{'['}
	for i, p := range peers {
		id := r.sendMessage(from, p, randomID, text, att)
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

// messagesEdit edits a stored message of the caller; for a community's
// token it emits message_edit.
func (r *Room) messagesEdit(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	peer, err := strconv.ParseInt(firstParam(q, "peer_id"), 10, 64)
	if err != nil {
		return nil, r.param("peer_id is invalid")
	}
	idParam := "message_id"
	v := firstParam(q, "message_id")
	if v == "" {
		idParam, v = "cmid", firstParam(q, "cmid")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, r.param(idParam + " is invalid")
	}
	text, _ := q.Get("message")
	if strings.TrimSpace(text) == "" {
		if a, _ := q.Get("attachment"); a == "" {
			return nil, r.param("message is empty or invalid")
		}
	}
	att, e := r.attachmentParam(q)
	if e != nil {
		return nil, e
	}
	me := Caller(tok)
	now := r.now()
	r.mu.Lock()
	stored := r.messageLocked(id)
	if stored == nil || stored.PeerID != peer || stored.DeletedForAll {
		r.mu.Unlock()
		return nil, r.param(idParam + " is invalid")
	}
	if stored.FromID != me {
		r.mu.Unlock()
		return nil, r.coded(vkerr.MessagesEditKindDisallowed)
	}
	stored.Message = strings.Clone(text) // not a slice of the request's body
	if _, ok := q.Get("attachment"); ok {
		stored.Attachments = att
	}
	m := *stored
	r.mu.Unlock()
	if tok.Kind == vkerr.KindGroup {
		r.emitBot(tok.GroupID, vkevent.TypeMessageEdit, messageObject(m, 1, "", now))
	}
	return []byte("1"), nil
}

func firstParam(q *core.Request, k string) string {
	v, _ := q.Get(k)
	return strings.TrimSpace(v)
}
