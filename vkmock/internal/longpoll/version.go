package longpoll

import (
	"encoding/json"
	"strconv"
	"strings"
)

// ParseVersion reads an api_version "5.199" as (5, 199).
func ParseVersion(v string) ([2]int, bool) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return [2]int{}, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || x < 0 || y < 0 {
		return [2]int{}, false
	}
	return [2]int{x, y}, true
}

// VersionLess reports whether api_version a is older than b; false when
// either is not a version.
func VersionLess(a, b string) bool {
	x, ok1 := ParseVersion(a)
	y, ok2 := ParseVersion(b)
	if !ok1 || !ok2 {
		return false
	}
	return x[0] < y[0] || (x[0] == y[0] && x[1] < y[1])
}

// LegacyMessage turns a 5.103+ message_new object into the legacy bare
// message: the message's fields plus body (the text), user_id (the
// author) and read_state; nil when object has no message.
func LegacyMessage(object []byte) []byte {
	var o struct {
		Message map[string]json.RawMessage `json:"message"`
	}
	if json.Unmarshal(object, &o) != nil || o.Message == nil {
		return nil
	}
	m := o.Message
	if t, ok := m["text"]; ok {
		m["body"] = t
	}
	if f, ok := m["from_id"]; ok {
		m["user_id"] = f
	}
	m["read_state"] = json.RawMessage("0")
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}
