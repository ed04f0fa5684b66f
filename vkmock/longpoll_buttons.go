package vkmock

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
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
	EventID string       `json:"event_id"`
	Event   EmittedEvent `json:"event"`
}

// PressButton emits a message_event, as a user pressing a callback button.
func (ctl WorldControl) PressButton(p ButtonPress) (ButtonResult, error) {
	s := ctl.s
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
	id := s.lp.PressButton(p.GroupID, p.UserID, p.PeerID)
	o := map[string]any{"user_id": p.UserID, "peer_id": p.PeerID, "event_id": id, "payload": p.Payload}
	if p.ConversationMessageID > 0 {
		o["conversation_message_id"] = p.ConversationMessageID
	}
	obj, err := json.Marshal(o)
	if err != nil {
		return ButtonResult{}, err
	}
	ev, err := s.emit(p.GroupID, vkevent.TypeMessageEvent, obj)
	if err != nil {
		return ButtonResult{}, err
	}
	return ButtonResult{EventID: id, Event: ev}, nil
}

func (s *Server) messagesSendMessageEventAnswer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	id := firstParam(q, "event_id")
	user, _ := strconv.ParseInt(firstParam(q, "user_id"), 10, 64)
	peer, _ := strconv.ParseInt(firstParam(q, "peer_id"), 10, 64)
	if d, ok := q.Get("event_data"); ok && d != "" {
		var o map[string]any
		if json.Unmarshal([]byte(d), &o) != nil || o == nil {
			return nil, s.paramError("event_data is invalid")
		}
	}
	if err := s.lp.AnswerButton(id, tok.GroupID, user, peer); err != nil {
		return nil, s.paramError(err.Error())
	}
	return []byte("1"), nil
}

// ButtonAnswered reports whether messages.sendMessageEventAnswer answered
// the press with this event_id.
func (ctl WorldControl) ButtonAnswered(eventID string) bool {
	return ctl.s.lp.ButtonAnswered(eventID)
}
