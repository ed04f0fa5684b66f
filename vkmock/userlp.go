package vkmock

import (
	"errors"
	"net/http"

	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/longpoll"
	"github.com/vkerr/vkerr/vkmock/internal/userlp"
)

// User Long Poll, as VK serves it to a user token (vkmock/internal/userlp):
// messages.getLongPollServer hands out /im/u<user_id>, a_check answers the
// user's updates (arrays, as VK's), messages.getLongPollHistory what a
// client missed. The updates, failures and fault rules are in
// docs/vkmock.md ("User Long Poll"); the glue is in room_userlp.go.

const (
	// DefaultLongPollUsers bounds the users with User Long Poll state;
	// past it the user idle the longest is forgotten (its keys answer
	// {"failed":2}, its old ts and pts {"failed":1} and 907).
	DefaultLongPollUsers = longpoll.DefaultUsers
)

// Defaults of UserLongPollConfig.
const (
	DefaultUserLongPollTSWindow = userlp.DefaultTSWindow
	DefaultHistoryEventsLimit   = userlp.DefaultHistoryEvents
	DefaultHistoryMsgsLimit     = userlp.DefaultHistoryMsgs
)

// User Long Poll versions the mock serves faithfully; another is
// answered {"failed":4} with these bounds.
const (
	MinUserLongPollVersion = userlp.MinVersion
	// MaxUserLongPollVersion is the newest version served.
	MaxUserLongPollVersion = userlp.MaxVersion
)

// UserLongPollConfig is what the User Long Poll of the mock does where VK
// has a number; the zero value of a field is VK's (the defaults above).
type UserLongPollConfig = userlp.Config

// UserUpdate is the body of POST /__vkmock/userlp/event: an update array
// for a user (its first element the code, a number).
type UserUpdate = userlp.Injected

// Inject appends an update to a user's User Long Poll stream.
func (ctl UserLongPollControl) Inject(up UserUpdate) error { return ctl.s.ulp.Inject(up) }

// SetConfig sets what User Long Poll does where VK has a number (zero
// fields: VK's).
func (ctl UserLongPollControl) SetConfig(c UserLongPollConfig) { ctl.s.ulp.SetConfig(c) }

// Config returns the User Long Poll configuration, with its defaults.
func (ctl UserLongPollControl) Config() UserLongPollConfig { return ctl.s.ulp.Config() }

func (s *Server) userLPRoutes() control.Routes {
	return control.Routes{
		"/userlp/event": {http.MethodPost: control.PostJSON(http.StatusCreated, func(up UserUpdate) (any, error) {
			return up, s.UserLongPoll().Inject(up)
		})},
		"/userlp/config": {
			http.MethodGet: control.GetJSON(func() any { return s.UserLongPoll().Config() }),
			http.MethodPost: control.PostJSON(http.StatusOK, func(c UserLongPollConfig) (any, error) {
				if c.TSWindow < 0 || c.PageEvents < 0 || c.PageMsgs < 0 {
					return nil, errors.New("ts_window, page_events and page_msgs must not be negative")
				}
				s.UserLongPoll().SetConfig(c)
				return s.UserLongPoll().Config(), nil
			}),
		},
	}
}
