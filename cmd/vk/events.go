package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
)

func init() { register(newEventsCmd) }

// eventLine is one event as vk events --json (and vk listen --json) print it.
type eventLine struct {
	Type                  vkevent.Type    `json:"type"`
	EventID               string          `json:"event_id"`
	GroupID               int64           `json:"group_id"`
	V                     string          `json:"v"`
	PeerID                *int64          `json:"peer_id,omitempty"`
	FromID                *int64          `json:"from_id,omitempty"`
	Text                  *string         `json:"text,omitempty"`
	ConversationMessageID *int64          `json:"conversation_message_id,omitempty"`
	Payload               string          `json:"payload,omitempty"`
	Object                json.RawMessage `json:"object,omitempty"`
}

func newEventLine(e *vkevent.Event) eventLine {
	l := eventLine{Type: e.Type, EventID: e.EventID, GroupID: e.GroupID, V: e.V, Object: e.Object}
	if f, ok := e.MessageFields(); ok {
		l.PeerID, l.FromID, l.Text, l.ConversationMessageID = &f.PeerID, &f.FromID, &f.Text, &f.ConversationMessageID
		l.Payload = f.Payload
	}
	return l
}

// String is the one-line form: type, event_id, group, then the message
// fields of a message event (the text quoted, so it stays on one line).
func (l eventLine) String() string {
	var b strings.Builder
	b.WriteString(string(l.Type))
	if l.Type == "" {
		b.WriteString("(no type)")
	}
	if l.EventID != "" {
		b.WriteString(" " + l.EventID)
	}
	b.WriteString(" group " + strconv.FormatInt(l.GroupID, 10))
	if l.V != "" {
		b.WriteString(" v" + l.V)
	}
	if l.PeerID != nil {
		fmt.Fprintf(&b, " peer %d from %d cmid %d %q", *l.PeerID, *l.FromID, *l.ConversationMessageID, *l.Text)
		if l.Payload != "" {
			fmt.Fprintf(&b, " payload %q", l.Payload)
		}
	}
	if l.Type == vkevent.TypeConfirmation {
		b.WriteString(" (answer with the community's confirmation code)")
	}
	return b.String()
}

// bodyKind tells a Bots Long Poll answer from a Callback body by its keys.
func bodyKind(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &m) != nil || m == nil {
		return ""
	}
	_, failed := m["failed"]
	_, updates := m["updates"]
	_, ts := m["ts"]
	_, typ := m["type"]
	switch {
	case failed || updates || (ts && !typ):
		return "longpoll"
	case typ:
		return "callback"
	}
	return ""
}

// decodeEvents decodes a Bots Long Poll answer or a Callback body. A
// failed answer is a *vkerr.LongPollError.
func decodeEvents(body []byte) ([]vkevent.Event, error) {
	switch bodyKind(body) {
	case "longpoll":
		a, err := vkevent.DecodeLongPoll(body)
		if err != nil {
			return nil, err
		}
		return a.Events, nil
	case "callback":
		e, err := vkevent.DecodeCallback(body)
		if err != nil {
			return nil, err
		}
		return []vkevent.Event{*e}, nil
	}
	return nil, errors.New("not an event body: neither a Bots Long Poll answer ({\"ts\",\"updates\"} or {\"failed\"}) nor a Callback body ({\"type\",\"object\",...})")
}

// longPollAdvice says what a client does after a failed answer.
func longPollAdvice(e *vkerr.LongPollError) string {
	switch e.Failed {
	case 1:
		return "continue with ts " + e.TS + "; events between the old ts and it may be missing"
	case 2:
		return "the key expired: call groups.getLongPollServer for a new key and keep your ts (nothing is lost)"
	case 3:
		return "information was lost: call groups.getLongPollServer for a new key and ts, and report the events between the old and the new ts as lost"
	case 4:
		return fmt.Sprintf("use a version between %d and %d and get the server again", e.MinVersion, e.MaxVersion)
	}
	return "unknown failure: keep server, key and ts, back off and retry"
}

func newEventsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "events [FILE|-]",
		Short: "Decode a Long Poll answer, a User Long Poll update or a Callback body: one line per event",
		Long: `Events reads a Bots Long Poll answer ({"ts":"N","updates":[...]}) or a
Callback API body ({"type":...,"object":...}) from FILE or standard input and
prints one line per event: type, event_id, group and, for message events,
peer, author, conversation_message_id and text. With --json it prints a JSON
array of objects with type, event_id, group_id, v, object and, for message
events, peer_id, from_id, text and conversation_message_id. A Callback secret
is never printed.

A User Long Poll answer ({"ts":N,"updates":[[4,...],...]}), or one update
array pasted from a log ([4,1234,1,2000000001,1700000000,"hi",{}]), prints
one line per update with its code's fields named, for version 3 and for
version 19 (the 10000 codes): messages with their id (and cmid), peer,
flags and text; reads (6, 7; 10006, 10007) with the peer and the message
read up to (local_id; version 19's cmid); the named elements of the other
documented codes; the array as it came for an unknown code.

Exit status: 0 for events, 1 for a {"failed":N} answer (what to do is printed
on standard error), 2 when the input is not an event body.`,
		Example: "  vk events testdata/examples/lp-answer.json\n  vk events testdata/examples/user-lp-answer.json --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, name, err := readInput(cmd, args, "")
			if err != nil {
				return err
			}
			if isUserLongPoll(body) {
				return printUserUpdates(cmd, body, asJSON)
			}
			events, err := decodeEvents(body)
			var lp *vkerr.LongPollError
			if errors.As(err, &lp) {
				return &exitError{code: 1, err: fmt.Errorf("long poll failed %d: %s", lp.Failed, longPollAdvice(lp))}
			}
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: %s", name, vkerr.RedactString(err.Error()))}
			}
			out := cmd.OutOrStdout()
			lines := make([]eventLine, len(events))
			for i := range events {
				lines[i] = newEventLine(&events[i])
			}
			if asJSON {
				return writeJSON(out, lines)
			}
			for _, l := range lines {
				fmt.Fprintln(out, l)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of the events")
	return cmd
}
