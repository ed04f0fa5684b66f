package longpoll

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// Callback buttons: a press makes a message_event whose event_id the bot
// answers with messages.sendMessageEventAnswer; the room keeps the last
// maxButtonPresses presses.

type buttonPress struct {
	group, user, peer int64
	answered          bool
}

// Errors of AnswerButton.
var (
	ErrButtonUnknown  = errors.New("event_id is invalid")
	ErrButtonMismatch = errors.New("user_id or peer_id does not match the event")
)

// PressButton records a press of a callback button in a community's
// conversation and returns its event_id (14 hex digits from the seed).
func (r *Room) PressButton(groupID, userID, peerID int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keySeq++
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(r.d.Seed))
	binary.LittleEndian.PutUint64(b[8:], r.keySeq)
	sum := sha1.Sum(append(b[:], "button"...))
	id := hex.EncodeToString(sum[:7])
	r.buttons[id] = &buttonPress{group: groupID, user: userID, peer: peerID}
	r.btnOrder = append(r.btnOrder, id)
	if len(r.btnOrder) > maxButtonPresses {
		delete(r.buttons, r.btnOrder[0])
		r.btnOrder = append(r.btnOrder[:0:0], r.btnOrder[1:]...)
	}
	return id
}

// AnswerButton marks the press with eventID answered by the community:
// ErrButtonUnknown when there is no such press of the community,
// ErrButtonMismatch when userID or peerID is not the press's.
func (r *Room) AnswerButton(eventID string, groupID, userID, peerID int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.buttons[eventID]
	if p == nil || p.group != groupID {
		return ErrButtonUnknown
	}
	if p.user != userID || p.peer != peerID {
		return ErrButtonMismatch
	}
	p.answered = true
	return nil
}

// ButtonAnswered reports whether the press with eventID was answered.
func (r *Room) ButtonAnswered(eventID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.buttons[eventID]
	return p != nil && p.answered
}
