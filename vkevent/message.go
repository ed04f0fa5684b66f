package vkevent

import "encoding/json"

// The two shapes of message_new. From API 5.103 the object is
// {"message":{...},"client_info":{...}}; before, it is the bare message
// in the legacy form (body for text, user_id for the author, read_state).
// The community's Long Poll or Callback settings (api_version) choose,
// not the request, so a bot must read both.

// afterDecode reads a legacy message_new: an object without "message" is
// the message itself; ClientInfo stays nil, which is how
// a handler tells the shapes apart.
func (o *MessageObject) afterDecode(fields map[string]json.RawMessage) {
	if _, ok := fields["message"]; ok {
		return
	}
	m := new(Message)
	decodeFields(fields, m)
	o.Message = m
}

// afterDecode maps the legacy fields of a message: body to Text, user_id
// to FromID and to PeerID when they are missing.
func (m *Message) afterDecode(fields map[string]json.RawMessage) {
	if m.Text == "" {
		decodeValue(fields["body"], &m.Text)
	}
	var uid int64
	decodeValue(fields["user_id"], &uid)
	if m.FromID == 0 {
		m.FromID = uid
	}
	if m.PeerID == 0 {
		m.PeerID = uid
	}
}
