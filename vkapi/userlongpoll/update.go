package userlongpoll

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/jsonread"
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
// is kept with Code 0. The Answer keeps no reference to body: the caller
// may reuse its buffer. The updates' Fields share one copy of it, so an
// update kept long after its answer keeps that copy alive.
func Decode(body []byte) (*Answer, error) {
	if a := decodeFast(body); a != nil {
		return a, nil
	}
	return decodeSlow(body)
}

// decodeFast decodes in one pass the answer VK sends when all is well,
// {"ts":N,"updates":[...],"pts":P} (members in any order, pts optional),
// each field a sub-slice of one copy of body. It returns nil for anything
// else (a failure, another member, a repeated one, a ts that is not a
// number, a syntax error), which decodeSlow decodes and words.
func decodeFast(body []byte) *Answer {
	keep := bytes.Clone(body)
	r := jsonread.New(keep)
	a := &Answer{}
	var sawTS, sawPTS, sawUpdates bool
	for first := true; r.NextKey(&first); {
		switch string(r.Key()) {
		case "ts":
			ts, ok := number(r.Value())
			if !ok || sawTS {
				return nil
			}
			a.TS, sawTS = ts, true
		case "pts":
			if sawPTS {
				return nil
			}
			a.PTS, _ = number(r.Value())
			sawPTS = true
		case "updates":
			if sawUpdates || r.Peek() != '[' {
				return nil
			}
			sawUpdates = true
			a.Updates = readUpdates(&r)
		default:
			return nil
		}
	}
	r.End()
	if r.Err() != nil || !sawTS || !sawUpdates {
		return nil
	}
	return a
}

// readUpdates reads the array of updates at r: the fields of every update
// share one backing array, and each is a sub-slice of r's bytes.
func readUpdates(r *jsonread.Reader) []Update {
	ups := []Update{}
	fields := make([]json.RawMessage, 0, 64)
	for first := true; r.NextItem(&first); {
		var u Update
		if r.Peek() != '[' {
			r.Value() // not an array (null included): no fields, code 0
			ups = append(ups, u)
			continue
		}
		start := len(fields)
		for first := true; r.NextItem(&first); {
			v := r.Value()
			if v == nil {
				return nil
			}
			fields = append(fields, v[:len(v):len(v)])
		}
		u.Fields = fields[start:len(fields):len(fields)]
		if len(u.Fields) > 0 {
			// what json.Unmarshal into an int accepts: an integer literal
			// that fits, null as 0; anything else is 0 too.
			if n, err := strconv.ParseInt(string(u.Fields[0]), 10, 0); err == nil {
				u.Code = int(n)
			}
		}
		ups = append(ups, u)
	}
	return ups
}

// decodeSlow decodes any answer with encoding/json and words its failure.
func decodeSlow(body []byte) (*Answer, error) {
	body = bytes.TrimSpace(body)
	var raw struct {
		TS      json.RawMessage   `json:"ts"`
		PTS     json.RawMessage   `json:"pts"`
		Failed  *int              `json:"failed"`
		Updates []json.RawMessage `json:"updates"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, &vkerr.FormatError{Reason: "user long poll answer is not a JSON object", Snippet: vkerr.RedactedSnippet(body)}
	}
	if raw.Failed != nil {
		_, err := vkerr.DecodeLongPoll(body)
		if err == nil {
			err = &vkerr.FormatError{Reason: "failed answer", Snippet: vkerr.RedactedSnippet(body)}
		}
		return nil, err
	}
	ts, ok := number(raw.TS)
	if !ok || raw.Updates == nil {
		return nil, &vkerr.FormatError{Reason: "user long poll answer without ts or updates", Snippet: vkerr.RedactedSnippet(body)}
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
