package userlongpoll

import (
	"bytes"
	"encoding/json"
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
func decodeUpdate(raw json.RawMessage) Update {
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
		a.Updates[i] = decodeUpdate(u)
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
