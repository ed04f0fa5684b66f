package world

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The world's actions as User Long Poll updates, with VK's codes and
// message flags. Only users with User Long Poll state get them (see
// Events.User); a message's peer is the conversation as its owner sees it.
//
//	messages.send by a user      [4,id,2,peer,...] to the sender, [4,id,1,sender,...] to a user peer;
//	                             to a community it is the community's message_new, as Inbox
//	messages.markAsRead          [6,peer,id] to a reader who is a user, [7,reader,id] to a user peer;
//	                             a user reading a community's messages is its message_read
//	messages.markAsImportant     [2,id,8,peer] (important=1) or [3,id,8,peer]
//	messages.delete              [2,id,128,peer]; with delete_for_all 128|131072, to both sides
//	messages.setActivity         [63..67,actor,[actor],1,time] to a user peer (typing, audiomessage,
//	                             photo, video, file); a user typing to a community is its
//	                             message_typing_state
//	account.setOnline/setOffline [8,-user,7,time] / [9,-user,0,time] to the user's friends, once per change
//
// The ids of a message are the mock's message ids (its
// conversation_message_id is the same number).

// VK's message flags in User Long Poll updates.
const (
	FlagUnread        = 1
	FlagOutbox        = 2
	FlagImportant     = 8
	FlagDeleted       = 128
	FlagDeletedForAll = 131072
)

// activityCodes are the User Long Poll codes of messages.setActivity's
// types.
var activityCodes = map[string]int{"typing": 63, "audiomessage": 64, "photo": 65, "video": 66, "file": 67}

// OnlinePlatformWeb is the platform of update 8: the full web version.
const OnlinePlatformWeb = 7

// friendsOf is the world's friendship: the owner and FriendID.
func (r *Room) friendsOf(id int64) []int64 {
	switch id {
	case r.deps.Owner:
		return []int64{FriendID}
	case FriendID:
		return []int64{r.deps.Owner}
	}
	return nil
}

// IsUserPeer reports whether a peer is a user (not a community or chat).
func IsUserPeer(peer int64) bool { return peer > 0 && peer <= MaxUserID }

// seenBy is the conversation of m as party sees it.
func seenBy(m Message, party int64) int64 {
	switch {
	case m.PeerID >= ChatPeerBase:
		return m.PeerID
	case m.FromID == party:
		return m.PeerID
	}
	return m.FromID
}

// partyOf reports whether party may see m: its sender, or its private
// peer. (The mock keeps no chat members: a chat's message is its
// sender's.)
func partyOf(m Message, party int64) bool {
	return m.FromID == party || m.PeerID == party
}

// UserMessageUpdate is update code (4, a new message, or 5, an edit) of m
// for a user, with the message object that getLongPollHistory returns.
func (r *Room) UserMessageUpdate(user int64, m Message, code int) {
	flags := 0 // an edit's
	if code == 4 {
		flags = FlagUnread
		if m.FromID == user {
			flags = FlagOutbox
		}
	}
	peer := seenBy(m, user)
	msg, _ := json.Marshal(map[string]any{"id": m.ID, "from_id": m.FromID, "peer_id": peer, "date": m.Date,
		"text": m.Message, "out": boolInt(m.FromID == user), "random_id": m.RandomID})
	r.deps.Events.User(user, []any{code, m.ID, flags, peer, m.Date, m.Message, map[string]any{}, attachmentsObject(m.Attachments), m.RandomID}, msg)
}

// userSent makes the updates of a message a user sent with messages.send.
func (r *Room) userSent(m Message) {
	switch {
	case m.PeerID < 0: // to a community: its message_new carries the sender's update
		_, _ = r.emitInbox(m, "") // past the bound on communities: no event
	case IsUserPeer(m.PeerID) && m.PeerID != m.FromID:
		r.UserMessageUpdate(m.FromID, m, 4)
		r.UserMessageUpdate(m.PeerID, m, 4)
	default: // a chat, or the user's own saved messages
		r.UserMessageUpdate(m.FromID, m, 4)
	}
}

// idList parses a comma-separated list of positive ids.
func (r *Room) idList(q *core.Request, name string) ([]int64, *vkerr.Error) {
	raw, _ := q.Get(name)
	var ids []int64
	for part := range strings.SplitSeq(raw, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return nil, r.param(name + " is invalid")
		}
		if len(ids) == 100 {
			return nil, r.param(name + " has too many items, max 100")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// peerParam parses peer_id (or user_id) as a conversation.
func (r *Room) peerParam(q *core.Request) (int64, bool, *vkerr.Error) {
	name, v := "peer_id", firstParam(q, "peer_id")
	if v == "" {
		name, v = "user_id", firstParam(q, "user_id")
	}
	if v == "" {
		return 0, false, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id == 0 || id < -MaxGroupID || id > ChatPeerBase+MaxUserID {
		return 0, false, r.param(name + " is invalid")
	}
	return id, true, nil
}

// messagesMarkAsRead marks the messages of peer up to start_message_id
// (all of them without it) read by the caller.
func (r *Room) messagesMarkAsRead(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	reader := Caller(tok)
	peer, ok, e := r.peerParam(q)
	if e != nil {
		return nil, e
	}
	upTo := int64(-1)
	if v := firstParam(q, "start_message_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, r.param("start_message_id is invalid")
		}
		upTo = n
	}
	if !ok { // the deprecated message_ids name the conversation
		ids, e := r.idList(q, "message_ids")
		if e != nil {
			return nil, e
		}
		if len(ids) == 0 {
			return nil, r.param("peer_id is undefined")
		}
		m, found := r.message(slices.Max(ids))
		if !found || !partyOf(m, reader) {
			return []byte("1"), nil
		}
		peer, upTo = seenBy(m, reader), m.ID
	}
	incoming := func(m Message) bool {
		if m.DeletedForAll || (upTo >= 0 && m.ID > upTo) {
			return false
		}
		if peer >= ChatPeerBase {
			return m.PeerID == peer && m.FromID != reader
		}
		return m.FromID == peer && m.PeerID == reader
	}
	var last Message
	r.mu.RLock()
	ms := r.messages.All()
	for i := len(ms) - 1; i >= 0; i-- {
		if incoming(ms[i]) {
			last = ms[i]
			break
		}
	}
	r.mu.RUnlock()
	if last.ID == 0 {
		return []byte("1"), nil // nothing to read
	}
	if IsUserPeer(reader) {
		r.deps.Events.User(reader, []any{6, peer, last.ID}, nil)
	}
	switch {
	case IsUserPeer(peer):
		r.deps.Events.User(peer, []any{7, reader, last.ID}, nil)
	case peer < 0 && IsUserPeer(reader):
		r.emitBot(-peer, vkevent.TypeMessageRead, map[string]any{"from_id": reader, "peer_id": reader, "read_message_id": last.ID, "conversation_message_id": last.ID})
	}
	return []byte("1"), nil
}

// messagesMarkAsImportant sets (important=1) or resets the important flag
// of the caller's messages and answers the ids it changed.
func (r *Room) messagesMarkAsImportant(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	me := Caller(tok)
	ids, e := r.idList(q, "message_ids")
	if e != nil {
		return nil, e
	}
	code := 3
	if q.Flag("important") {
		code = 2
	}
	out := []byte{'['}
	for _, id := range ids {
		m, ok := r.message(id)
		if !ok || m.DeletedForAll || !partyOf(m, me) {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = strconv.AppendInt(out, id, 10)
		if IsUserPeer(me) {
			r.deps.Events.User(me, []any{code, id, FlagImportant, seenBy(m, me)}, nil)
		}
	}
	return append(out, ']'), nil
}

// messagesDelete deletes the caller's messages, for the caller or (with
// delete_for_all, the sender only) for both sides; it answers one item per
// message, as API 5.199 does.
func (r *Room) messagesDelete(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	me := Caller(tok)
	idsName := "message_ids"
	ids, e := r.idList(q, idsName)
	if e != nil {
		return nil, e
	}
	if len(ids) == 0 {
		// The mock's conversation_message_id is the message id.
		idsName = "cmids"
		if ids, e = r.idList(q, idsName); e != nil {
			return nil, e
		}
	}
	if len(ids) == 0 {
		return nil, r.param("message_ids is undefined")
	}
	forAll := q.Flag("delete_for_all")
	type problem struct {
		Code        vkerr.Code `json:"code"`
		Description string     `json:"description"`
	}
	type item struct {
		PeerID  int64    `json:"peer_id"`
		ID      int64    `json:"message_id"`
		CMID    int64    `json:"conversation_message_id"`
		OK      int      `json:"response"`
		Problem *problem `json:"error,omitempty"`
	}
	items := make([]item, 0, len(ids))
	for _, id := range ids {
		m, ok := r.message(id)
		it := item{ID: id, CMID: id}
		switch {
		case !ok || m.DeletedForAll || !partyOf(m, me):
			it.Problem = &problem{Code: vkerr.Param, Description: idsName + ": message not found"}
		case forAll && m.FromID != me:
			it.PeerID = seenBy(m, me)
			it.Problem = &problem{Code: vkerr.MessagesCantDeleteForAll, Description: r.deps.Messages.Of(vkerr.MessagesCantDeleteForAll)}
		default:
			it.PeerID, it.OK = seenBy(m, me), 1
			flags := FlagDeleted
			if forAll {
				flags |= FlagDeletedForAll
				r.markDeletedForAll(id)
				if other := seenBy(m, me); IsUserPeer(other) {
					r.deps.Events.User(other, []any{2, id, flags, seenBy(m, other)}, nil)
				}
			}
			if IsUserPeer(me) {
				r.deps.Events.User(me, []any{2, id, flags, it.PeerID}, nil)
			}
		}
		items = append(items, it)
	}
	b, _ := json.Marshal(items)
	return b, nil
}

// messagesSetActivity tells peer that the caller is typing (or recording,
// or uploading).
func (r *Room) messagesSetActivity(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	actor := Caller(tok)
	peer, ok, e := r.peerParam(q)
	if e != nil {
		return nil, e
	}
	if !ok {
		return nil, r.param("peer_id is undefined")
	}
	typ, _ := q.Get("type")
	code, known := activityCodes[typ]
	if !known {
		return nil, r.param("type is invalid")
	}
	switch {
	case IsUserPeer(peer) && peer != actor:
		r.deps.Events.User(peer, []any{code, actor, []int64{actor}, 1, r.now()}, nil)
	case peer < 0 && IsUserPeer(actor) && typ == "typing":
		r.emitBot(-peer, vkevent.TypeMessageTypingState, map[string]any{"state": "typing", "from_id": actor, "to_id": peer})
	}
	return []byte("1"), nil
}

func (r *Room) accountSetOnline(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.setOnline(tok, true)
}

func (r *Room) accountSetOffline(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	return r.setOnline(tok, false)
}

// setOnline changes a user's presence and, when it changed, tells the
// user's friends: 8 (online, on the web) or 9 (offline, left the site).
func (r *Room) setOnline(tok core.Token, online bool) ([]byte, *vkerr.Error) {
	if tok.Kind != vkerr.KindUser {
		return nil, r.deps.Messages.With(vkerr.Method, "account.setOnline and account.setOffline need a user token")
	}
	now := r.now()
	if !r.deps.Events.SetOnline(tok.UserID, online) {
		return []byte("1"), nil
	}
	update := []any{9, -tok.UserID, 0, now}
	if online {
		update = []any{8, -tok.UserID, OnlinePlatformWeb, now}
	}
	for _, f := range r.friendsOf(tok.UserID) {
		r.deps.Events.User(f, update, nil)
	}
	return []byte("1"), nil
}

// attachmentsObject is the attachments object of a version-3 update 4 or 5
// for a message's attachment items ("photo1_2", "doc-5_7_key"): for the
// N-th (from 1) attachN_type, its type, and attachN, "OWNER_ID" (the
// access key is not sent). An item that is not TYPEOWNER_ID is skipped.
func attachmentsObject(items []string) map[string]string {
	out := map[string]string{}
	n := 0
	for _, it := range items {
		i := strings.IndexFunc(it, func(r rune) bool { return r == '-' || (r >= '0' && r <= '9') })
		if i <= 0 {
			continue
		}
		parts := strings.SplitN(it[i:], "_", 3)
		if len(parts) < 2 || parts[1] == "" {
			continue
		}
		n++
		out["attach"+strconv.Itoa(n)+"_type"] = it[:i]
		out["attach"+strconv.Itoa(n)] = parts[0] + "_" + parts[1]
	}
	return out
}
