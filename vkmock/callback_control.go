package vkmock

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The control API of the Callback sender:
//
//	GET  /__vkmock/callback                 the sender's configuration
//	POST /__vkmock/callback                 {schedule: ["10s","3m"], timeout, pause_after, pause, senders, pending, log_size}
//	GET  /__vkmock/callback/servers/{group_id}  the community's servers with status, failures, paused_until, settings
//	POST /__vkmock/callback/servers/{group_id}  {title, url, secret_key, api_version}: add a server as the settings page does (no url: status unconfigured)
//	GET  /__vkmock/callback/log             the delivery log: event, server, attempt, status, answer, outcome, latency
//	POST /__vkmock/callback/confirm         {group_id, server_id}: ask for the confirmation again
//	POST /__vkmock/callback/advance         {advance: "10m"}: move the mock's clock (the sender's) forward; resends and pauses due by then go out

type callbackConfigBody struct {
	Schedule   []string `json:"schedule,omitempty"`
	Timeout    string   `json:"timeout,omitempty"`
	PauseAfter int      `json:"pause_after,omitempty"`
	Pause      string   `json:"pause,omitempty"`
	Senders    int      `json:"senders,omitempty"`
	Pending    int      `json:"pending,omitempty"`
	LogSize    int      `json:"log_size,omitempty"`
}

func callbackBody(c CallbackConfig) callbackConfigBody {
	b := callbackConfigBody{Timeout: c.Timeout.String(), PauseAfter: c.PauseAfter, Pause: c.Pause.String(), Senders: c.Senders, Pending: c.Pending, LogSize: c.LogSize}
	for _, d := range c.Schedule {
		b.Schedule = append(b.Schedule, d.String())
	}
	return b
}

func positiveDuration(field, v string, max time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > max {
		return 0, errors.New(field + " must be a positive Go duration such as 10s, at most " + max.String())
	}
	return d, nil
}

func (b callbackConfigBody) config() (CallbackConfig, error) {
	var c CallbackConfig
	if len(b.Schedule) > 100 {
		return c, errors.New("schedule has at most 100 delays")
	}
	for _, v := range b.Schedule {
		d, err := positiveDuration("each delay of schedule", v, 24*time.Hour)
		if err != nil {
			return c, err
		}
		c.Schedule = append(c.Schedule, d)
	}
	var err error
	if b.Timeout != "" {
		if c.Timeout, err = positiveDuration("timeout", b.Timeout, 10*time.Minute); err != nil {
			return c, err
		}
	}
	if b.Pause != "" {
		if c.Pause, err = positiveDuration("pause", b.Pause, 24*time.Hour); err != nil {
			return c, err
		}
	}
	if b.PauseAfter < 0 || b.Senders < 0 || b.Pending < 0 || b.LogSize < 0 || b.Senders > 256 {
		return c, errors.New("pause_after, senders, pending and log_size must not be negative; senders at most 256")
	}
	c.PauseAfter, c.Senders, c.Pending, c.LogSize = b.PauseAfter, b.Senders, b.Pending, b.LogSize
	return c, nil
}

type serverRef struct {
	GroupID  int64 `json:"group_id"`
	ServerID int64 `json:"server_id"`
}

// newServerBody is a server for POST /__vkmock/callback/servers/{group_id}.
type newServerBody struct {
	Title      string `json:"title"`
	URL        string `json:"url"`
	SecretKey  string `json:"secret_key"`
	APIVersion string `json:"api_version"`
}

// pathGroup reads the community of .../{group_id}, or answers 400.
func pathGroup(w http.ResponseWriter, r *http.Request) (int64, bool) {
	g := groupRef{}
	var err error
	if g.GroupID, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil || g.check() != nil {
		control.Error(w, http.StatusBadRequest, errors.New("group_id must be a community id"))
		return 0, false
	}
	return g.GroupID, true
}

type advanceBody struct {
	Advance string `json:"advance"`
}

func (s *Server) callbackRoutes() control.Routes {
	return control.Routes{
		"/callback": {
			http.MethodGet: control.GetJSON(func() any { return callbackBody(s.Callback().Config()) }),
			http.MethodPost: control.PostJSON(http.StatusOK, func(b callbackConfigBody) (any, error) {
				c, err := b.config()
				if err != nil {
					return nil, err
				}
				s.Callback().SetConfig(c)
				return callbackBody(s.Callback().Config()), nil
			}),
		},
		"/callback/servers/": {
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
				if gid, ok := pathGroup(w, r); ok {
					core.WriteJSON(w, http.StatusOK, s.Callback().Servers(gid))
				}
			},
			http.MethodPost: func(w http.ResponseWriter, r *http.Request) {
				var b newServerBody
				gid, ok := pathGroup(w, r)
				if !ok || !control.DecodeBody(w, r, &b) {
					return
				}
				sv, err := s.Callback().AddServer(CallbackServer{GroupID: gid, Title: b.Title, URL: b.URL, SecretKey: b.SecretKey, APIVersion: b.APIVersion})
				control.Answer(w, http.StatusCreated, sv, err)
			},
		},
		"/callback/log": {http.MethodGet: control.GetJSON(func() any { return s.Callback().Deliveries() })},
		"/callback/confirm": {http.MethodPost: control.PostJSON(http.StatusOK, func(r serverRef) (any, error) {
			if err := s.Callback().Confirm(r.GroupID, r.ServerID); err != nil {
				return nil, err
			}
			return map[string]bool{"ok": true}, nil
		})},
		"/callback/advance": {http.MethodPost: control.PostJSON(http.StatusOK, func(b advanceBody) (any, error) {
			d, err := positiveDuration("advance", b.Advance, 365*24*time.Hour)
			if err != nil {
				return nil, err
			}
			s.Clock().Advance(d)
			return s.clockState(), nil
		})},
	}
}
