package vkevent

// MessageFields are the fields of a message event that a log line or a
// router needs, read from any of the message events and shapes.
type MessageFields struct {
	PeerID                int64
	FromID                int64
	Text                  string
	ConversationMessageID int64
	Payload               string
}

// MessageFields returns the message fields of a message_new (either
// shape), message_reply, message_edit or message_event (FromID is the
// user who pressed the button, Text is empty); ok is false for other
// events or an object that is not a JSON object.
func (e *Event) MessageFields() (f MessageFields, ok bool) {
	var m *Message
	switch e.Type {
	case TypeMessageNew:
		o, err := e.MessageNew()
		if err != nil || o.Message == nil {
			return f, false
		}
		m = o.Message
	case TypeMessageReply, TypeMessageEdit:
		o, err := objectAs[Message](e, e.Type)
		if err != nil {
			return f, false
		}
		m = o
	case TypeMessageEvent:
		o, err := e.MessageEvent()
		if err != nil {
			return f, false
		}
		return MessageFields{PeerID: o.PeerID, FromID: o.UserID, ConversationMessageID: o.ConversationMessageID, Payload: o.Payload}, true
	default:
		return f, false
	}
	return MessageFields{PeerID: m.PeerID, FromID: m.FromID, Text: m.Text, ConversationMessageID: m.ConversationMessageID, Payload: m.Payload}, true
}
