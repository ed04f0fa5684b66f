package vkerr

import (
	"encoding/json"
	"strconv"
)

// LongPollAction is what a Long Poll client must do after a failure.
type LongPollAction uint8

// Long Poll remedies, by failed value.
const (
	// LongPollUseNewTS (failed 1): history is outdated or partly lost;
	// continue with the ts the answer carries. Events may be missing.
	LongPollUseNewTS LongPollAction = iota + 1
	// LongPollRefreshKey (failed 2): the key expired; get a new key from
	// getLongPollServer and keep the old ts.
	LongPollRefreshKey
	// LongPollRefreshKeyAndTS (failed 3): information lost; get a new key and
	// a new ts.
	LongPollRefreshKeyAndTS
	// LongPollChangeVersion (failed 4): the version parameter is invalid; use
	// one between MinVersion and MaxVersion and fetch the server again.
	LongPollChangeVersion
	// LongPollBackoff: an unknown failure; back off and retry.
	LongPollBackoff
)

var longPollActionNames = [...]string{
	LongPollUseNewTS:        "continue with the new ts",
	LongPollRefreshKey:      "get a new key, keep the ts",
	LongPollRefreshKeyAndTS: "get a new key and a new ts",
	LongPollChangeVersion:   "use a supported version and get the server again",
	LongPollBackoff:         "back off and retry",
}

func (a LongPollAction) String() string {
	if int(a) < len(longPollActionNames) && longPollActionNames[a] != "" {
		return longPollActionNames[a]
	}
	return "unknown"
}

// LongPollError is a failure of a Bots or User Long Poll request:
// {"failed":N, ...} with HTTP 200.
type LongPollError struct {
	Failed     int
	TS         string // ts of failed 1 (a number there; a string elsewhere)
	MinVersion int    // failed 4
	MaxVersion int    // failed 4
	Message    string // "error" that some failed 2 answers carry
}

// Action returns what the client must do.
func (e *LongPollError) Action() LongPollAction {
	switch e.Failed {
	case 1:
		return LongPollUseNewTS
	case 2:
		return LongPollRefreshKey
	case 3:
		return LongPollRefreshKeyAndTS
	case 4:
		return LongPollChangeVersion
	}
	return LongPollBackoff
}

// Category: failed 1 and unknown failures are transient (resend at once
// with the new ts, or back off), 2 and 3 are auth (the key is a credential
// that expired), 4 is invalid input.
func (e *LongPollError) Category() Category {
	switch e.Failed {
	case 2, 3:
		return CategoryAuth
	case 4:
		return CategoryInvalidInput
	}
	return CategoryTransient
}

// Is matches the error's category.
func (e *LongPollError) Is(target error) bool {
	c, ok := target.(Category)
	return ok && e.Category() == c
}

func (e *LongPollError) Error() string {
	s := "vk: long poll failed " + strconv.Itoa(e.Failed) + ": " + e.Action().String()
	if e.Failed == 4 {
		s += " (" + strconv.Itoa(e.MinVersion) + ".." + strconv.Itoa(e.MaxVersion) + ")"
	}
	return s
}

// LongPollResponse is a successful Long Poll answer.
type LongPollResponse struct {
	TS      string            // the ts to send next (a string in Bots Long Poll, a number in User Long Poll)
	PTS     int64             // User Long Poll with mode 32
	Updates []json.RawMessage // the events
}

// DecodeLongPoll decodes a Long Poll answer. A {"failed":N} answer is a
// *LongPollError; a body that is not JSON is an *HTTPError (keep the server
// and ts and retry) or *FormatError.
func DecodeLongPoll(body []byte) (*LongPollResponse, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, classifyJunk(body)
	}
	if raw == nil {
		return nil, &FormatError{Reason: "long poll answer is null"}
	}
	if f, ok := raw["failed"]; ok {
		n, err := flexInt(f)
		if err != nil {
			return nil, &FormatError{Reason: "failed: " + err.Error(), Snippet: RedactedSnippet(body)}
		}
		e := &LongPollError{Failed: int(n)}
		e.TS, _, _ = flexString(raw["ts"])
		minV, _ := flexInt(raw["min_version"])
		maxV, _ := flexInt(raw["max_version"])
		e.MinVersion, e.MaxVersion = int(minV), int(maxV)
		e.Message, _, _ = flexString(raw["error"])
		return nil, e
	}
	ts, ok := raw["ts"]
	if !ok {
		return nil, &FormatError{Reason: `long poll answer has neither "failed" nor "ts"`, Snippet: RedactedSnippet(body)}
	}
	r := &LongPollResponse{}
	var err error
	if r.TS, _, err = flexString(ts); err != nil {
		return nil, &FormatError{Reason: "ts: " + err.Error(), Snippet: RedactedSnippet(body)}
	}
	if r.PTS, err = flexInt(raw["pts"]); err != nil {
		return nil, &FormatError{Reason: "pts: " + err.Error(), Snippet: RedactedSnippet(body)}
	}
	if u, ok := raw["updates"]; ok && !isNull(u) {
		if err := json.Unmarshal(u, &r.Updates); err != nil {
			return nil, &FormatError{Reason: "updates: " + err.Error(), Snippet: RedactedSnippet(body)}
		}
	}
	return r, nil
}
