package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
)

// isUserLongPoll tells a User Long Poll answer (updates are arrays), or a
// single update array pasted from a log, from a Bots Long Poll answer
// (updates are objects) or a Callback body.
func isUserLongPoll(body []byte) bool {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return true
	}
	var m struct {
		Updates []json.RawMessage `json:"updates"`
	}
	if json.Unmarshal(body, &m) != nil || len(m.Updates) == 0 {
		return false
	}
	u := bytes.TrimSpace(m.Updates[0])
	return len(u) > 0 && u[0] == '['
}

// decodeUserUpdates decodes a whole a_check answer, or one update array
// (`[4,1234,1,2000000001,1700000000,"hi",{}]`) as a log shows it.
func decodeUserUpdates(body []byte) ([]userlongpoll.Update, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		a, err := userlongpoll.Decode(body)
		if err != nil {
			return nil, err
		}
		return a.Updates, nil
	}
	// One update: wrap it in an answer, so it is decoded as the poller
	// decodes it.
	var fields []json.RawMessage
	if json.Unmarshal(body, &fields) != nil || len(fields) == 0 {
		return nil, &vkerr.FormatError{Reason: "not a User Long Poll update (a JSON array with a numeric code first)", Snippet: vkerr.RedactedSnippet(body)}
	}
	if _, err := strconv.ParseInt(string(bytes.TrimSpace(fields[0])), 10, 64); err != nil {
		return nil, &vkerr.FormatError{Reason: "the update's first element is not a numeric code", Snippet: vkerr.RedactedSnippet(body)}
	}
	wrapped := append(append([]byte(`{"ts":0,"updates":[`), body...), "]}"...)
	a, err := userlongpoll.Decode(wrapped)
	if err != nil {
		return nil, err
	}
	return a.Updates, nil
}

// printUserUpdates prints User Long Poll updates (an answer or one update):
// one line per update with its code's fields named, or with --json an
// array of those objects.
func printUserUpdates(cmd *cobra.Command, body []byte, asJSON bool) error {
	ups, err := decodeUserUpdates(body)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("%s", vkerr.RedactString(err.Error()))}
	}
	lines := make([]userUpdateLine, len(ups))
	for i := range ups {
		lines[i] = newUserUpdateLine(&ups[i])
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, lines)
	}
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return nil
}

// userCode names a User Long Poll code and the elements after the code.
type userCode struct {
	name   string
	fields []string
}

// userCodes are the codes of version 3 (VK's documentation of the User
// Long Poll API, "Event structure") and version 19's message codes (the
// layouts of vkapi/userlongpoll's Code* constants). The typed codes
// (messages, reads, flags) are decoded by vkapi/userlongpoll; the names
// here are for the rest and for the line's name.
var userCodes = map[int]userCode{
	1:                              {"flags_replaced", []string{"message_id", "flags", "peer_id"}},
	userlongpoll.CodeFlagsSet:      {"flags_set", nil},
	userlongpoll.CodeFlagsReset:    {"flags_reset", nil},
	userlongpoll.CodeNewMessage:    {"message_new", nil},
	userlongpoll.CodeEditMessage:   {"message_edit", nil},
	userlongpoll.CodeReadIn:        {"read_in", nil},
	userlongpoll.CodeReadOut:       {"read_out", nil},
	8:                              {"friend_online", []string{"user_id", "extra", "timestamp"}},
	9:                              {"friend_offline", []string{"user_id", "flags", "timestamp"}},
	10:                             {"chat_flags_reset", []string{"peer_id", "mask"}},
	11:                             {"chat_flags_replaced", []string{"peer_id", "flags"}},
	12:                             {"chat_flags_set", []string{"peer_id", "mask"}},
	13:                             {"messages_deleted", []string{"peer_id", "local_id"}},
	14:                             {"messages_restored", []string{"peer_id", "local_id"}},
	19:                             {"message_cache_reset", []string{"message_id"}},
	20:                             {"major_id_changed", []string{"peer_id", "major_id"}},
	21:                             {"minor_id_changed", []string{"peer_id", "minor_id"}},
	51:                             {"chat_changed", []string{"chat_id", "self"}},
	52:                             {"chat_info_changed", []string{"type_id", "peer_id", "info"}},
	61:                             {"typing_dialog", []string{"user_id", "flags"}},
	62:                             {"typing_chat", []string{"user_id", "chat_id"}},
	63:                             {"typing", []string{"peer_id", "user_ids", "total_count", "ts"}},
	64:                             {"recording_voice", []string{"peer_id", "user_ids", "total_count", "ts"}},
	70:                             {"call", []string{"user_id", "call_id"}},
	80:                             {"unread_count", []string{"count", "count_with_notifications"}},
	114:                            {"notify_settings", []string{"settings"}},
	userlongpoll.CodeFlagsSet19:    {"flags_set", nil},
	userlongpoll.CodeFlagsReset19:  {"flags_reset", nil},
	userlongpoll.CodeNewMessage19:  {"message_new", nil},
	userlongpoll.CodeEditMessage19: {"message_edit", nil},
	userlongpoll.CodeUpdate19:      {"message_changed", nil},
	userlongpoll.CodeReadIn19:      {"read_in", nil},
	userlongpoll.CodeReadOut19:     {"read_out", nil},
}

// userField is one named element of an update.
type userField struct {
	Name  string
	Value json.RawMessage
}

// userUpdateLine is one User Long Poll update as vk listen --user and vk
// events print it: the typed fields of messages (4, 5; 10004, 10005,
// 10018), reads (6, 7; 10006, 10007) and flags (2, 3; 10002, 10003), the
// named elements of the other known codes, the array as it came for the
// rest.
type userUpdateLine struct {
	Code    int    `json:"code"`
	Name    string `json:"name,omitempty"`
	Version int    `json:"version"` // 19 for the 10000 codes, else 3
	// Messages and flags: the message id (and the cmid in version 19).
	MessageID             int64  `json:"message_id,omitempty"`
	ConversationMessageID int64  `json:"conversation_message_id,omitempty"`
	Flags                 int64  `json:"flags,omitempty"`
	PeerID                int64  `json:"peer_id,omitempty"`
	Timestamp             int64  `json:"timestamp,omitempty"`
	Text                  string `json:"text,omitempty"`
	RandomID              int64  `json:"random_id,omitempty"`
	// Reads: read up to this message id (local_id, version 3).
	LocalID int64 `json:"local_id,omitempty"`
	Unread  int64 `json:"unread,omitempty"` // version 19's reads
	// Fields are the named elements of the other known codes.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	Raw    json.RawMessage            `json:"raw,omitempty"` // the array, for unknown codes
	kind   byte                       // 'm' message, 'r' read, 'f' flags, 'n' named, 0 raw
	named  []userField
}

func newUserUpdateLine(u *userlongpoll.Update) userUpdateLine {
	l := userUpdateLine{Code: u.Code, Version: 3, Name: userCodes[u.Code].name}
	if u.Code >= 10000 {
		l.Version = 19
	}
	if m, err := u.Message(); err == nil {
		l.kind = 'm'
		l.MessageID, l.ConversationMessageID, l.Flags, l.PeerID = m.MessageID, m.ConversationMessageID, m.Flags, m.PeerID
		l.Timestamp, l.Text, l.RandomID = m.Timestamp, m.Text, m.RandomID
		return l
	}
	if r, err := u.Read(); err == nil {
		l.kind = 'r'
		l.PeerID, l.Unread = r.PeerID, r.Unread
		if l.Version == 19 {
			l.ConversationMessageID = r.UpTo
		} else {
			l.LocalID = r.UpTo
		}
		return l
	}
	if f, err := u.Flags(); err == nil {
		l.kind = 'f'
		l.Flags, l.PeerID = f.Flags, f.PeerID
		if l.Version == 19 {
			l.ConversationMessageID = f.ID
		} else {
			l.MessageID = f.ID
		}
		return l
	}
	if c, ok := userCodes[u.Code]; ok && len(c.fields) > 0 {
		l.kind = 'n'
		l.Fields = make(map[string]json.RawMessage)
		for i, v := range u.Fields[1:] {
			name := "field" + strconv.Itoa(i+1)
			if i < len(c.fields) {
				name = c.fields[i]
			}
			l.Fields[name] = v
			l.named = append(l.named, userField{name, v})
		}
		return l
	}
	l.Raw, _ = json.Marshal(u.Fields)
	return l
}

func (l userUpdateLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", l.Code)
	if l.Name != "" {
		b.WriteString(" " + l.Name)
	}
	id := func() {
		if l.MessageID != 0 {
			fmt.Fprintf(&b, " message %d", l.MessageID)
		}
		if l.ConversationMessageID != 0 {
			fmt.Fprintf(&b, " cmid %d", l.ConversationMessageID)
		}
	}
	switch l.kind {
	case 'm':
		id()
		fmt.Fprintf(&b, " peer %d flags %d %q", l.PeerID, l.Flags, l.Text)
	case 'r':
		fmt.Fprintf(&b, " peer %d", l.PeerID)
		if l.Version == 19 {
			fmt.Fprintf(&b, " up to cmid %d unread %d", l.ConversationMessageID, l.Unread)
		} else {
			fmt.Fprintf(&b, " up to local_id %d", l.LocalID)
		}
	case 'f':
		id()
		fmt.Fprintf(&b, " peer %d flags %d", l.PeerID, l.Flags)
	case 'n':
		for _, f := range l.named {
			fmt.Fprintf(&b, " %s=%s", f.Name, f.Value)
		}
	default:
		fmt.Fprintf(&b, " %s", l.Raw)
	}
	return b.String()
}
