package userlongpoll

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// The typed views of an update, for version 3 (the default) and version 19
// (lp_version 10 and later number the message updates from 10000). The
// version-19 layouts follow a public client written against version 21
// (the same arrays for these codes): see docs/events.md.

// Update codes with a typed view.
const (
	CodeFlagsSet      = 2     // v3: [2, message_id, flags, peer_id]
	CodeFlagsReset    = 3     // v3: [3, message_id, flags, peer_id]
	CodeNewMessage    = 4     // v3: [4, message_id, flags, peer_id, timestamp, text, extra, attachments, random_id, ...]
	CodeEditMessage   = 5     // v3: as 4
	CodeReadIn        = 6     // v3: [6, peer_id, local_id]
	CodeReadOut       = 7     // v3: [7, peer_id, local_id]
	CodeFlagsSet19    = 10002 // v19: [10002, cmid, flags, peer_id]
	CodeFlagsReset19  = 10003 // v19: [10003, cmid, flags, peer_id, ...]
	CodeNewMessage19  = 10004 // v19: [10004, cmid, flags, minor_id, peer_id, timestamp, text, extra, attachments, random_id, message_id, update_time]
	CodeEditMessage19 = 10005 // v19: [10005, cmid, flags, peer_id, timestamp, text, extra, attachments, random_id, message_id, update_time]
	CodeReadIn19      = 10006 // v19: [10006, peer_id, cmid, unread_count]
	CodeReadOut19     = 10007 // v19: [10007, peer_id, cmid, unread_count]
	CodeUpdate19      = 10018 // v19: as 10005 (a message changed otherwise than by an edit)
)

// Message is what a message update carries (4, 5; 10004, 10005, 10018).
// Fields the update does not have are zero.
type Message struct {
	MessageID int64 `json:"message_id"`
	// ConversationMessageID is the message's id in its conversation
	// (version 19's cmid); 0 in version 3.
	ConversationMessageID int64  `json:"conversation_message_id,omitempty"`
	Flags                 int64  `json:"flags"`
	PeerID                int64  `json:"peer_id"`
	Timestamp             int64  `json:"timestamp"`
	Text                  string `json:"text"`
	RandomID              int64  `json:"random_id,omitempty"`
}

// Read is a "read up to" update (6, 7; 10006, 10007): the messages of
// PeerID up to UpTo were read, by the user (incoming) or the peer
// (Outgoing).
type Read struct {
	PeerID int64 `json:"peer_id"`
	// UpTo is the message id (version 3) or the cmid (version 19) of the
	// last message read.
	UpTo     int64 `json:"up_to"`
	Outgoing bool  `json:"outgoing"`
	// Unread is what is left unread (version 19 only).
	Unread int64 `json:"unread,omitempty"`
}

// FlagsChange is a change of a message's flags (2, 3; 10002, 10003).
type FlagsChange struct {
	// ID is the message id (version 3) or the cmid (version 19).
	ID     int64 `json:"id"`
	Flags  int64 `json:"flags"`
	PeerID int64 `json:"peer_id"`
	Set    bool  `json:"set"` // 2 and 10002 set the flags; 3 and 10003 reset them
}

// The errors of the typed views on an update of another kind.
var (
	ErrNotMessage = errors.New("userlongpoll: not a message update")
	ErrNotRead    = errors.New("userlongpoll: not a read update")
	ErrNotFlags   = errors.New("userlongpoll: not a flags update")
)

// field decodes the i-th element into v when the update has it.
func (u *Update) field(i int, v any) {
	if i < len(u.Fields) {
		_ = json.Unmarshal(u.Fields[i], v)
	}
}

// Message decodes a message update; fields that do not fit are left zero.
func (u *Update) Message() (Message, error) {
	var m Message
	switch u.Code {
	case CodeNewMessage, CodeEditMessage:
		u.field(1, &m.MessageID)
		u.field(2, &m.Flags)
		u.field(3, &m.PeerID)
		u.field(4, &m.Timestamp)
		u.field(5, &m.Text)
		// lp_version 0 has a subject (" ... ") at 5 and the text at 6,
		// where later versions have an object.
		if len(u.Fields) > 6 && bytes.HasPrefix(bytes.TrimSpace(u.Fields[6]), []byte(`"`)) {
			u.field(6, &m.Text)
		}
		u.field(8, &m.RandomID)
	case CodeNewMessage19:
		u.field(1, &m.ConversationMessageID)
		u.field(2, &m.Flags)
		u.field(4, &m.PeerID)
		u.field(5, &m.Timestamp)
		u.field(6, &m.Text)
		u.field(9, &m.RandomID)
		u.field(10, &m.MessageID)
	case CodeEditMessage19, CodeUpdate19:
		u.field(1, &m.ConversationMessageID)
		u.field(2, &m.Flags)
		u.field(3, &m.PeerID)
		u.field(4, &m.Timestamp)
		u.field(5, &m.Text)
		u.field(8, &m.RandomID)
		u.field(9, &m.MessageID)
	default:
		return Message{}, ErrNotMessage
	}
	return m, nil
}

// Read decodes a "read up to" update.
func (u *Update) Read() (Read, error) {
	var r Read
	switch u.Code {
	case CodeReadIn, CodeReadOut, CodeReadIn19, CodeReadOut19:
		r.Outgoing = u.Code == CodeReadOut || u.Code == CodeReadOut19
		u.field(1, &r.PeerID)
		u.field(2, &r.UpTo)
		u.field(3, &r.Unread)
	default:
		return Read{}, ErrNotRead
	}
	return r, nil
}

// Flags decodes a change of a message's flags.
func (u *Update) Flags() (FlagsChange, error) {
	var f FlagsChange
	switch u.Code {
	case CodeFlagsSet, CodeFlagsReset, CodeFlagsSet19, CodeFlagsReset19:
		f.Set = u.Code == CodeFlagsSet || u.Code == CodeFlagsSet19
		u.field(1, &f.ID)
		u.field(2, &f.Flags)
		u.field(3, &f.PeerID)
	default:
		return FlagsChange{}, ErrNotFlags
	}
	return f, nil
}

// key identifies an update across a history page and an a_check answer:
// a new message by its message id, any other update by its fields.
func (u *Update) key() string {
	if u.Code == CodeNewMessage || u.Code == CodeNewMessage19 {
		if m, _ := u.Message(); m.MessageID > 0 {
			return "new:" + strconv.FormatInt(m.MessageID, 10)
		}
	}
	b, _ := json.Marshal(u.Fields)
	return string(b)
}
