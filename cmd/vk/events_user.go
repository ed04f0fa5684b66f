package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkapi/userlongpoll"
)

// isUserLongPoll tells a User Long Poll answer (updates are arrays) from a
// Bots Long Poll one (updates are objects).
func isUserLongPoll(body []byte) bool {
	var m struct {
		Updates []json.RawMessage `json:"updates"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &m) != nil || len(m.Updates) == 0 {
		return false
	}
	u := bytes.TrimSpace(m.Updates[0])
	return len(u) > 0 && u[0] == '['
}

// printUserUpdates prints a User Long Poll answer: one line per update
// (code, and message_id, flags, peer_id, text for 4 and 5), or with
// --json an array of those objects.
func printUserUpdates(cmd *cobra.Command, body []byte, asJSON bool) error {
	a, err := userlongpoll.Decode(body)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	lines := make([]userUpdateLine, len(a.Updates))
	for i := range a.Updates {
		lines[i] = newUserUpdateLine(&a.Updates[i])
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
