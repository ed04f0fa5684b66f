package world

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Callback buttons: a user pressing one makes message_event, which the bot
// answers with messages.sendMessageEventAnswer.

// ButtonPress is a press of a callback button (POST /__vkmock/button).
type ButtonPress struct {
	UserID  int64 `json:"user_id"`
	GroupID int64 `json:"group_id"`
	// PeerID defaults to UserID (a private conversation).
	PeerID                int64           `json:"peer_id,omitempty"`
	Payload               json.RawMessage `json:"payload,omitempty"`
	ConversationMessageID int64           `json:"conversation_message_id,omitempty"`
}

// ButtonResult is the emitted message_event with the id that
// messages.sendMessageEventAnswer needs.
type ButtonResult struct {
	EventID string  `json:"event_id"`
	Event   Emitted `json:"event"`
}

// PressButton emits a message_event, as a user pressing a callback button.
// The last maxButtonPresses presses are kept for their answer.
func (r *Room) PressButton(p ButtonPress) (ButtonResult, error) {
	if p.UserID <= 0 || p.UserID > MaxUserID || p.GroupID <= 0 || p.GroupID > MaxGroupID {
		return ButtonResult{}, errors.New("vkmock: button press needs user_id and group_id")
	}
	if p.PeerID == 0 {
		p.PeerID = p.UserID
	}
	if len(p.Payload) == 0 {
		p.Payload = json.RawMessage("{}")
	}
	if len(p.Payload) > 1000 || !json.Valid(p.Payload) {
		return ButtonResult{}, errors.New("vkmock: button payload must be JSON of at most 1000 bytes")
	}
	r.bmu.Lock()
	r.btnSeq++
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(r.deps.Seed))
	binary.LittleEndian.PutUint64(b[8:], r.btnSeq)
	sum := sha1.Sum(append(b[:], "button"...))
	id := hex.EncodeToString(sum[:7])
	r.buttons[id] = &buttonPress{group: p.GroupID, user: p.UserID, peer: p.PeerID}
	r.btnOrder = append(r.btnOrder, id)
	if len(r.btnOrder) > maxButtonPresses {
		delete(r.buttons, r.btnOrder[0])
		r.btnOrder = append(r.btnOrder[:0:0], r.btnOrder[1:]...)
	}
	r.bmu.Unlock()
	o := map[string]any{"user_id": p.UserID, "peer_id": p.PeerID, "event_id": id, "payload": p.Payload}
	if p.ConversationMessageID > 0 {
		o["conversation_message_id"] = p.ConversationMessageID
	}
	obj, err := json.Marshal(o)
	if err != nil {
		return ButtonResult{}, err
	}
	ev, err := r.deps.Events.Bot(p.GroupID, vkevent.TypeMessageEvent, obj)
	if err != nil {
		return ButtonResult{}, err
	}
	return ButtonResult{EventID: id, Event: ev}, nil
}

func (r *Room) messagesSendMessageEventAnswer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	id := firstParam(q, "event_id")
	user, _ := strconv.ParseInt(firstParam(q, "user_id"), 10, 64)
	peer, _ := strconv.ParseInt(firstParam(q, "peer_id"), 10, 64)
	if d, ok := q.Get("event_data"); ok && d != "" {
		var o map[string]any
		if json.Unmarshal([]byte(d), &o) != nil || o == nil {
			return nil, r.param("event_data is invalid")
		}
	}
	r.bmu.Lock()
	defer r.bmu.Unlock()
	p := r.buttons[id]
	if p == nil || p.group != tok.GroupID {
		return nil, r.param("event_id is invalid")
	}
	if p.user != user || p.peer != peer {
		return nil, r.param("user_id or peer_id does not match the event")
	}
	p.answered = true
	return []byte("1"), nil
}

// ButtonAnswered reports whether messages.sendMessageEventAnswer answered
// the press with this event_id.
func (r *Room) ButtonAnswered(eventID string) bool {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	p := r.buttons[eventID]
	return p != nil && p.answered
}
