package longpoll

import (
	"encoding/json"
)

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
