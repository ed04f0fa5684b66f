package vkmock

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The control API of Long Poll and the world's events:
//
//	POST /__vkmock/inbox             {from_id, group_id, text, payload?}: a user writes to a community
//	POST /__vkmock/button            {user_id, group_id, peer_id?, payload?, conversation_message_id?}: a callback button press
//	GET  /__vkmock/events            the emitted events with ts, event_id and lost
//	POST /__vkmock/events            {type, group_id, object}: inject an event (validated)
//	GET  /__vkmock/longpoll          the configuration
//	POST /__vkmock/longpoll          {key_lifetime: "1h", history_events, history_bytes, max_updates}
//	GET  /__vkmock/longpoll/settings/{group_id}; POST /__vkmock/longpoll/settings {group_id, enabled, api_version, events}
//	POST /__vkmock/longpoll/lose     {group_id}: the next a_check answers failed 3 and loses events
//	POST /__vkmock/longpoll/expire   {group_id}: every key of the community expires

// longPollConfigBody is LongPollConfig with the key lifetime as a Go
// duration string ("90m").
type longPollConfigBody struct {
	KeyLifetime   string `json:"key_lifetime,omitempty"`
	HistoryEvents int    `json:"history_events,omitempty"`
	HistoryBytes  int    `json:"history_bytes,omitempty"`
	MaxUpdates    int    `json:"max_updates,omitempty"`
	Communities   int    `json:"communities,omitempty"`
	TotalBytes    int    `json:"total_bytes,omitempty"`
	Users         int    `json:"users,omitempty"`
}

func configBody(c LongPollConfig) longPollConfigBody {
	return longPollConfigBody{KeyLifetime: c.KeyLifetime.String(), HistoryEvents: c.HistoryEvents, HistoryBytes: c.HistoryBytes, MaxUpdates: c.MaxUpdates,
		Communities: c.Communities, TotalBytes: c.TotalBytes, Users: c.Users}
}

type groupRef struct {
	GroupID int64 `json:"group_id"`
}

func (g groupRef) check() error {
	if g.GroupID <= 0 || g.GroupID > MaxGroupID {
		return errors.New("group_id must be a community id")
	}
	return nil
}

func (s *Server) longPollRoutes() control.Routes {
	return control.Routes{
		"/inbox":  {http.MethodPost: control.PostJSON(http.StatusOK, func(m InboxMessage) (any, error) { return s.World().Inbox(m) })},
		"/button": {http.MethodPost: control.PostJSON(http.StatusOK, func(p ButtonPress) (any, error) { return s.World().PressButton(p) })},
		"/events": {
			http.MethodGet:  control.GetJSON(func() any { return s.LongPoll().Events() }),
			http.MethodPost: control.PostJSON(http.StatusCreated, func(e InjectedEvent) (any, error) { return s.LongPoll().Inject(e) }),
		},
		"/longpoll": {
			http.MethodGet: control.GetJSON(func() any { return configBody(s.LongPoll().Config()) }),
			http.MethodPost: control.PostJSON(http.StatusOK, func(b longPollConfigBody) (any, error) {
				c := LongPollConfig{HistoryEvents: b.HistoryEvents, HistoryBytes: b.HistoryBytes, MaxUpdates: b.MaxUpdates, Communities: b.Communities, TotalBytes: b.TotalBytes, Users: b.Users}
				if b.KeyLifetime != "" {
					d, err := time.ParseDuration(b.KeyLifetime)
					if err != nil || d <= 0 {
						return nil, errors.New("key_lifetime must be a positive Go duration such as 1h or 90s")
					}
					c.KeyLifetime = d
				}
				if c.HistoryEvents < 0 || c.HistoryBytes < 0 || c.MaxUpdates < 0 || c.Communities < 0 || c.TotalBytes < 0 || c.Users < 0 {
					return nil, errors.New("history_events, history_bytes, max_updates, communities, total_bytes and users must not be negative")
				}
				s.LongPoll().SetConfig(c)
				return configBody(s.LongPoll().Config()), nil
			}),
		},
		"/longpoll/settings": {http.MethodPost: control.PostJSON(http.StatusOK, func(ls LongPollSettings) (any, error) {
			if err := s.LongPoll().SetSettings(ls); err != nil {
				return nil, err
			}
			return s.LongPoll().Settings(ls.GroupID), nil
		})},
		"/longpoll/settings/": {http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			var g groupRef
			var err error
			if g.GroupID, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil || g.check() != nil {
				control.Error(w, http.StatusBadRequest, errors.New("group_id must be a community id"))
				return
			}
			core.WriteJSON(w, http.StatusOK, s.LongPoll().Settings(g.GroupID))
		}},
		"/longpoll/lose": {http.MethodPost: control.PostJSON(http.StatusOK, func(g groupRef) (any, error) {
			if err := g.check(); err != nil {
				return nil, err
			}
			s.LongPoll().Lose(g.GroupID)
			return g, nil
		})},
		"/longpoll/expire": {http.MethodPost: control.PostJSON(http.StatusOK, func(g groupRef) (any, error) {
			if err := g.check(); err != nil {
				return nil, err
			}
			s.LongPoll().Expire(g.GroupID)
			return g, nil
		})},
	}
}
