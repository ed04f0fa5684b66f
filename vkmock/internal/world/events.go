package world

import (
	"encoding/json"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Where the world's events go, and their objects. The events come from a
// user writing to a community (Inbox), a callback button pressed
// (PressButton → message_event, answered by
// messages.sendMessageEventAnswer), the community's own messages.send and
// messages.edit (message_reply, message_edit), wall.post on the
// community's wall on its behalf (wall_post_new), the User Long Poll
// updates of users' actions (userlp.go), and any event injected as is
// (Inject, validated against the schema).

// Events is where the world emits. The façade implements it with Bots
// Long Poll, the Callback sender and User Long Poll.
type Events interface {
	// Bot emits a community's event: object is its object in the 5.103+
	// shape. It fails when the community cannot get one more event (the
	// bound on communities with Long Poll state).
	Bot(groupID int64, typ vkevent.Type, object []byte) (Emitted, error)
	// User appends a User Long Poll update for a user: update is the
	// array without its ts, msg the message object messages.getLongPollHistory
	// returns with it (nil for updates without one). A user nobody
	// listens to gets none.
	User(userID int64, update []any, msg json.RawMessage)
	// SetOnline records whether a user is online (account.setOnline,
	// setOffline) and reports whether that changed. Presence is part of a
	// user's User Long Poll state, which it makes.
	SetOnline(userID int64, online bool) (changed bool)
}

// LongPoll holds the communities' Bots Long Poll settings and keys, for
// the groups.*LongPoll* methods.
type LongPoll interface {
	Settings(groupID int64) LongPollSettings
	// SetSettings replaces a community's settings; nil Events means every
	// type.
	SetSettings(ls LongPollSettings) error
	// NewKey issues a key for the community, with the ts to start from.
	NewKey(groupID int64) (key string, ts int64, err error)
}

// Emitted is an event the world emitted, as the event log shows it.
type Emitted = core.Emitted

// LongPollSettings are a community's Long Poll settings
// (groups.setLongPollSettings / getLongPollSettings).
type LongPollSettings = core.LongPollSettings

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

// emitInbox emits message_new for a stored message from a user to a
// community.
func (r *Room) emitInbox(stored Message, payload string) (Emitted, error) {
	// Seen from the community, the conversation's peer is the user.
	seen := stored
	seen.PeerID = stored.FromID
	obj, err := json.Marshal(map[string]any{"message": messageObject(seen, 0, payload, 0), "client_info": clientInfo})
	if err != nil {
		return Emitted{}, err
	}
	return r.deps.Events.Bot(-stored.PeerID, vkevent.TypeMessageNew, obj)
}

// emitBot emits an event whose object is o; an event past the bound on
// communities is not emitted.
func (r *Room) emitBot(groupID int64, typ vkevent.Type, o any) {
	if obj, err := json.Marshal(o); err == nil {
		_, _ = r.deps.Events.Bot(groupID, typ, obj)
	}
}
