package userlp

import "github.com/vkerr/vkerr/vkmock/internal/core"

// Config is what the room does where VK has a number; the zero value of
// a field is VK's (the defaults below).
type Config struct {
	// TSWindow: an a_check whose ts is more than TSWindow events behind
	// the user's ts, or ahead of it, answers {"failed":1} (default 256).
	TSWindow int `json:"ts_window,omitempty"`
	// PageEvents and PageMsgs, when set, bound the events and messages
	// of one messages.getLongPollHistory page below what events_limit
	// and msgs_limit ask (VK's minimums and defaults: 1000 and 200), for
	// tests of clients that must page through short pages; 0 is no bound
	// but the request's.
	PageEvents int `json:"page_events,omitempty"`
	PageMsgs   int `json:"page_msgs,omitempty"`
}

// Defaults of Config and of messages.getLongPollHistory.
const (
	DefaultTSWindow      = 256
	DefaultHistoryEvents = 1000
	DefaultHistoryMsgs   = 200
	// maxHistoryLimit bounds events_limit and msgs_limit, so one answer
	// stays bounded.
	maxHistoryLimit = 10000
)

// WithDefaults returns c with its zero fields set to VK's.
func (c Config) WithDefaults() Config {
	c.TSWindow = core.PositiveOr(c.TSWindow, DefaultTSWindow)
	c.PageEvents, c.PageMsgs = max(c.PageEvents, 0), max(c.PageMsgs, 0)
	return c
}

// SetConfig sets what the room does where VK has a number (zero fields:
// VK's).
func (r *Room) SetConfig(c Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg = c.WithDefaults()
}

// Config returns the configuration, with its defaults.
func (r *Room) Config() Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// Transient reports whether an update of code is one VK does not keep
// in the history: presence (8, 9) and activity (61, 62, 63..67).
func Transient(code int) bool {
	return code == 8 || code == 9 || code == 61 || code == 62 || (code >= 63 && code <= 67)
}
