package vkmock

import (
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
)

// Bots Long Poll, as VK serves it (vkmock/internal/longpoll):
// groups.getLongPollServer hands out a server on the mock (/lp/wh<group_id>),
// a key and a ts; a_check holds until an event or the wait's end on the
// mock's clock. The failures and fault rules are in docs/vkmock.md
// ("Bots Long Poll"); the glue is in room_longpoll.go.

// Defaults of the Long Poll configuration.
const (
	DefaultLongPollKeyLifetime   = longpoll.DefaultKeyLifetime
	DefaultLongPollHistoryEvents = longpoll.DefaultHistoryEvents
	DefaultLongPollHistoryBytes  = longpoll.DefaultHistoryBytes
	DefaultLongPollMaxUpdates    = longpoll.DefaultMaxUpdates
	// DefaultLongPollCommunities bounds the communities with Long Poll
	// state, DefaultLongPollTotalBytes the history of them all.
	DefaultLongPollCommunities = longpoll.DefaultCommunities
	DefaultLongPollTotalBytes  = longpoll.DefaultTotalBytes
	// DefaultEventLogSize bounds the log of emitted events (Events).
	DefaultEventLogSize = longpoll.DefaultEventLogSize
	// LegacyMessageVersion is the first api_version whose message_new
	// object is {"message","client_info"}; older ones get the bare message.
	LegacyMessageVersion = longpoll.LegacyMessageVersion
	// DefaultLongPollAPIVersion is the api_version of a community whose
	// settings do not name one.
	DefaultLongPollAPIVersion = longpoll.DefaultAPIVersion
)

// LongPollConfig configures the mock's Bots Long Poll (and bounds User
// Long Poll alike). The zero value of a field means its default.
type LongPollConfig = longpoll.Config

// LongPollSettings are a community's Long Poll settings
// (groups.setLongPollSettings / getLongPollSettings).
type LongPollSettings = longpoll.Settings

// EmittedEvent is an event the world emitted (GET /__vkmock/events).
type EmittedEvent = longpoll.Emitted

// SetConfig changes the Long Poll configuration (zero fields get
// their defaults); it bounds User Long Poll too.
func (ctl LongPollControl) SetConfig(c LongPollConfig) {
	ctl.s.ulp.SetLimits(userLPLimits(ctl.s.lp.SetConfig(c)))
}

// Config returns the Long Poll configuration.
func (ctl LongPollControl) Config() LongPollConfig { return ctl.s.lp.Config() }

// SetSettings sets a community's Long Poll settings, as
// groups.setLongPollSettings does; nil Events enables every event type.
func (ctl LongPollControl) SetSettings(ls LongPollSettings) error { return ctl.s.lp.SetSettings(ls) }

// Settings returns a community's Long Poll settings.
func (ctl LongPollControl) Settings(groupID int64) LongPollSettings {
	return ctl.s.lp.Settings(groupID)
}

// Lose makes the next a_check of the community answer
// {"failed":3} and drop the events it had not received.
func (ctl LongPollControl) Lose(groupID int64) { ctl.s.lp.Lose(groupID) }

// Expire ends every key of the community: the next a_check
// with one answers {"failed":2}.
func (ctl LongPollControl) Expire(groupID int64) { ctl.s.lp.Expire(groupID) }

// Waiting returns the number of a_check requests holding now.
func (ctl LongPollControl) Waiting() int { return ctl.s.lp.Waiting() }

// Events returns the emitted events still in the log (DefaultEventLogSize
// of them), oldest first, with their ts, event_id and whether they were
// lost.
func (ctl LongPollControl) Events() []EmittedEvent { return ctl.s.lp.Events() }
