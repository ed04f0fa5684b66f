package callbacktest

import (
	"encoding/json"
)

// isConfirmation reports whether a body is a confirmation request, which
// Chaos lets through: the sender asks it once, not on a schedule.
func isConfirmation(body []byte) bool {
	var e struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(body, &e) == nil && e.Type == "confirmation"
}
