package userlongpoll

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/vkerr/vkerr"
)

// Update is one User Long Poll update: an array whose first element is its
// code (4 a new message, 5 an edit, 2/3 flags set/reset, 8/9 a friend
// online/offline, 63 typing...). Fields keeps every element as it came.
type Update struct {
	Code   int
	Fields []json.RawMessage
	// Object is the message object a message update (4, 5) refers to, when
	// the update came from messages.getLongPollHistory, whose answer
	// carries it; nil otherwise.
	Object json.RawMessage
}

// decodeUpdate makes an Update of one element of updates or history: an
// array with a numeric code; anything else keeps Code 0.
func decodeUpdate(raw json.RawMessage, _ int) Update {
	var u Update
	var fields []json.RawMessage
	if json.Unmarshal(raw, &fields) == nil && len(fields) > 0 {
		var code int
		if json.Unmarshal(fields[0], &code) == nil {
			u.Code = code
		}
	}
	u.Fields = fields
	return u
}

// key identifies an update across a history page and an a_check answer:
// a new message (4) by its message id, any other by its fields.
func (u *Update) key() string {
	if u.Code == 4 {
		return "4:" + strconv.FormatInt(u.messageID(), 10)
	}
	b, _ := json.Marshal(u.Fields)
	return string(b)
}

// messageID is the message id of a message update (4, 5), else 0.
func (u *Update) messageID() int64 {
	if (u.Code != 4 && u.Code != 5) || len(u.Fields) < 2 {
		return 0
	}
	var id int64
	_ = json.Unmarshal(u.Fields[1], &id)
	return id
}

// Message is what a message update (4 or 5) carries: [code, message_id,
// flags, peer_id, timestamp, text, ...] (lp_version 0: [..., timestamp,
// subject, text, ...]).
type Message struct {
	MessageID int64  `json:"message_id"`
	Flags     int64  `json:"flags"`
	PeerID    int64  `json:"peer_id"`
	Timestamp int64  `json:"timestamp"`
	Text      string `json:"text"`
}

// ErrNotMessage is the error of Message on an update that is not 4 or 5.
var ErrNotMessage = errors.New("userlongpoll: not a message update")

// Message decodes a message update; fields that do not fit are left zero.
func (u *Update) Message() (Message, error) {
	if u.Code != 4 && u.Code != 5 {
		return Message{}, ErrNotMessage
	}
	var m Message
	get := func(i int, v any) {
		if i < len(u.Fields) {
			_ = json.Unmarshal(u.Fields[i], v)
		}
	}
	get(1, &m.MessageID)
	get(2, &m.Flags)
	get(3, &m.PeerID)
	get(4, &m.Timestamp)
	get(5, &m.Text)
	// lp_version 0 has a subject (" ... ") at 5 and the text at 6, where
	// later versions have an object.
	if len(u.Fields) > 6 && bytes.HasPrefix(bytes.TrimSpace(u.Fields[6]), []byte(`"`)) {
		get(6, &m.Text)
	}
	return m, nil
}

// Answer is a successful a_check answer.
type Answer struct {
	TS      int64
	PTS     int64 // 0 unless mode had 32
	Updates []Update
}

// Decode decodes an a_check answer: {"ts":N,"updates":[[...]...],"pts":P}
// (ts a number or a string, a trailing "\r\n" accepted). A {"failed":N}
// answer is a *vkerr.LongPollError; a body that is not one is a
// *vkerr.FormatError. An update that is not an array with a numeric code
// is kept with Code 0.
func Decode(body []byte) (*Answer, error) {
	body = bytes.TrimSpace(body)
	var raw struct {
		TS      json.RawMessage   `json:"ts"`
		PTS     json.RawMessage   `json:"pts"`
		Failed  *int              `json:"failed"`
		Updates []json.RawMessage `json:"updates"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &vkerr.FormatError{Reason: "user long poll answer is not a JSON object", Snippet: vkerr.Snippet(body)}
	}
	if raw.Failed != nil {
		_, err := vkerr.DecodeLongPoll(body)
		if err == nil {
			err = &vkerr.FormatError{Reason: "failed answer", Snippet: vkerr.Snippet(body)}
		}
		return nil, err
	}
	ts, ok := number(raw.TS)
	if !ok || raw.Updates == nil {
		return nil, &vkerr.FormatError{Reason: "user long poll answer without ts or updates", Snippet: vkerr.Snippet(body)}
	}
	a := &Answer{TS: ts, Updates: make([]Update, len(raw.Updates))}
	a.PTS, _ = number(raw.PTS)
	for i, u := range raw.Updates {
		a.Updates[i] = decodeUpdate(u, 0)
	}
	return a, nil
}

// number reads a JSON number or a string of digits.
func number(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	s := string(raw)
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
