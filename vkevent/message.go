package vkevent

// The two shapes of message_new. From API 5.103 the object is
// {"message":{...},"client_info":{...}}; before, it is the bare message
// in the legacy form (body for text, user_id for the author, read_state).
// The community's Long Poll or Callback settings (api_version) choose,
// not the request, so a bot must read both.
//
// The generated decoders of MessageObject and Message call these hooks
// (internal/genevents lists them).

// messageObjectHook reads a legacy message_new: an object without
// "message" is the message itself; ClientInfo stays nil, which is how a
// handler tells the shapes apart.
type messageObjectHook struct{ hasMessage bool }

func (h *messageObjectHook) seen(key []byte) {
	if string(key) == "message" {
		h.hasMessage = true
	}
}

func (h *messageObjectHook) field(r *reader) { r.skip() }

func (h *messageObjectHook) done(o *MessageObject, object []byte) {
	if h.hasMessage {
		return
	}
	r := newReader(object)
	m := new(Message)
	m.decodeFrom(&r)
	o.Message = m
}

// messageHook maps the legacy fields of a message: body to Text, user_id
// to FromID and to PeerID when they are missing.
type messageHook struct {
	body   string
	userID int64
}

func (h *messageHook) seen([]byte) {}

func (h *messageHook) field(r *reader) {
	switch string(r.Key()) {
	case "body":
		h.body = r.str()
	case "user_id":
		h.userID = r.int64()
	default:
		r.skip()
	}
}

func (h *messageHook) done(m *Message, _ []byte) {
	if m.Text == "" {
		m.Text = h.body
	}
	if m.FromID == 0 {
		m.FromID = h.userID
	}
	if m.PeerID == 0 {
		m.PeerID = h.userID
	}
}
