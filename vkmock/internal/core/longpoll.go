package core

import (
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// What Bots Long Poll and the world both speak of: a community's
// settings and an event emitted.

// LongPollSettings are a community's Long Poll settings
// (groups.setLongPollSettings / getLongPollSettings).
type LongPollSettings struct {
	GroupID int64 `json:"group_id"`
	// Enabled: a disabled community's getLongPollServer answers 100 (on at
	// start for the seeded community, off for the others, as on VK).
	// Communities start disabled, as on VK.
	Enabled bool `json:"enabled"`
	// APIVersion decides the shape of the objects (default 5.199; below
	// 5.103 message_new is the legacy bare message).
	APIVersion string `json:"api_version,omitempty"`
	// Events are the event types delivered. In the Long Poll room's
	// SetSettings a nil map means every type; groups.setLongPollSettings
	// changes the types it names and starts from none.
	Events map[string]bool `json:"events,omitempty"`
}

// Emitted is an event the world emitted (GET /__vkmock/events).
type Emitted struct {
	GroupID int64        `json:"group_id"`
	TS      int64        `json:"ts"`
	EventID string       `json:"event_id"`
	Type    vkevent.Type `json:"type"`
	Time    time.Time    `json:"time"`
	// Lost: the mock dropped it with a {"failed":3}; no Long Poll client
	// received it from then on.
	Lost bool `json:"lost"`
}
