package longpoll

import (
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Defaults of Config.
const (
	DefaultKeyLifetime   = time.Hour
	DefaultHistoryEvents = 10000
	DefaultHistoryBytes  = 16 << 20
	DefaultMaxUpdates    = 100
	// DefaultCommunities bounds the communities with Long Poll state,
	// DefaultTotalBytes the history of them all.
	DefaultCommunities = 1000
	DefaultTotalBytes  = 64 << 20
	// DefaultUsers bounds the users with User Long Poll state (the User
	// Long Poll room reads it from the same configuration).
	DefaultUsers = 10000
	// DefaultEventLogSize bounds the log of emitted events (Events).
	DefaultEventLogSize = 100000
	// maxKeysPerGroup bounds the live keys of a community; a new key
	// beyond it retires the oldest.
	maxKeysPerGroup = 16
	// LegacyMessageVersion is the first api_version whose message_new
	// object is {"message","client_info"}; older ones get the bare message.
	LegacyMessageVersion = "5.103"
	// DefaultAPIVersion is the api_version of a community whose settings
	// do not name one.
	DefaultAPIVersion = "5.199"
)

// Config configures Bots Long Poll (and bounds User Long Poll alike).
// The zero value of a field means its default.
type Config struct {
	// KeyLifetime is how long a key works, on the mock's clock (default
	// one hour); then a_check answers {"failed":2}.
	KeyLifetime time.Duration `json:"-"`
	// HistoryEvents and HistoryBytes bound the events kept per community
	// (default 10 000 and 16 MiB); a ts older than the kept ones gets
	// {"failed":1}.
	HistoryEvents int `json:"history_events,omitempty"`
	HistoryBytes  int `json:"history_bytes,omitempty"`
	// MaxUpdates bounds the updates of one answer (default 100).
	MaxUpdates int `json:"max_updates,omitempty"`
	// Communities bounds the communities with Long Poll state (default
	// 1000): settings for one more, or an event of one more, are refused.
	Communities int `json:"communities,omitempty"`
	// TotalBytes bounds the kept history of all communities together
	// (default 64 MiB): past it the biggest history loses its older half.
	TotalBytes int `json:"total_bytes,omitempty"`
	// Users bounds the users with User Long Poll state (default 10 000):
	// past it the user idle the longest is forgotten. KeyLifetime,
	// HistoryEvents, HistoryBytes, MaxUpdates and TotalBytes bound User
	// Long Poll as they bound Bots Long Poll, per user and for all users.
	Users int `json:"users,omitempty"`
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.KeyLifetime = core.PositiveOr(c.KeyLifetime, DefaultKeyLifetime)
	c.HistoryEvents = core.PositiveOr(c.HistoryEvents, DefaultHistoryEvents)
	c.HistoryBytes = core.PositiveOr(c.HistoryBytes, DefaultHistoryBytes)
	c.MaxUpdates = core.PositiveOr(c.MaxUpdates, DefaultMaxUpdates)
	c.Communities = core.PositiveOr(c.Communities, DefaultCommunities)
	c.TotalBytes = core.PositiveOr(c.TotalBytes, DefaultTotalBytes)
	c.Users = core.PositiveOr(c.Users, DefaultUsers)
	return c
}

// Settings are a community's Long Poll settings (core.LongPollSettings).
type Settings = core.LongPollSettings

// Emitted is an event the world emitted (core.Emitted).
type Emitted = core.Emitted

// defaultSettings are the settings of a community nobody set: disabled.
func defaultSettings(id int64) Settings {
	return Settings{GroupID: id, APIVersion: DefaultAPIVersion, Events: map[string]bool{}}
}

// BotSettings are the settings of a community configured as a bot: Long
// Poll on, api_version 5.199, every event type.
func BotSettings(id int64) Settings {
	ls := defaultSettings(id)
	ls.Enabled = true
	for _, t := range vkevent.Types {
		if t != vkevent.TypeConfirmation {
			ls.Events[string(t)] = true
		}
	}
	return ls
}
