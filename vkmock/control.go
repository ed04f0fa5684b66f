package vkmock

import (
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Bodies of control requests.
type (
	tokenStateChange struct {
		Token string     `json:"token"`
		State TokenState `json:"state"`
	}
	tokenChallengeChange struct {
		Token     string     `json:"token"`
		ErrorCode vkerr.Code `json:"error_code"`
	}
	settingsChange struct {
		HTTPSOnly  *bool `json:"https_only"`
		RateLimits *bool `json:"rate_limits"`
	}
	validationDone struct {
		RedirectURI string `json:"redirect_uri"`
	}
)

// controlRoutes builds the control API: paths under /__vkmock, without a
// trailing slash; a path ending in "/" takes the rest as {id}.
func (s *Server) controlRoutes() control.Routes {
	version := control.GetJSON(func() any {
		return map[string]any{"version": Version, "schema": s.schema.Version(), "methods": len(s.schema.Methods())}
	})
	settings := control.GetJSON(func() any { return s.settings() })
	clock := control.GetJSON(func() any { return s.clockState() })
	challenges := control.GetJSON(func() any { return s.Challenges().Rules() })
	return control.Routes{
		"":         {"*": version},
		"/version": {"*": version},
		"/tokens": {
			http.MethodGet: control.GetJSON(func() any { return s.Tokens().All() }),
			http.MethodPost: control.PostJSON(http.StatusCreated, func(t Token) (any, error) {
				if err := s.tokensFit(t); err != nil {
					return nil, err
				}
				return s.Tokens().Create(t)
			}),
		},
		"/tokens/state": {http.MethodPost: control.PostJSON(http.StatusOK, func(c tokenStateChange) (any, error) {
			return map[string]string{"state": string(c.State)}, s.Tokens().SetState(c.Token, c.State)
		})},
		"/tokens/challenge": {http.MethodPost: control.PostJSON(http.StatusOK, func(c tokenChallengeChange) (any, error) {
			return map[string]any{"error_code": c.ErrorCode}, s.Challenges().SetToken(c.Token, c.ErrorCode)
		})},
		"/apps": {
			http.MethodGet:  control.GetJSON(func() any { return s.Tokens().Apps() }),
			http.MethodPost: control.PostJSON(http.StatusOK, func(a App) (any, error) { return a, s.Tokens().SetApp(a) }),
		},
		"/faults": {
			http.MethodGet: control.GetJSON(func() any { return s.Faults().List() }),
			http.MethodPost: control.PostJSON(http.StatusCreated, func(f Fault) (any, error) {
				id, err := s.Faults().Add(f)
				return map[string]string{"id": id}, err
			}),
			http.MethodDelete: control.NoContent(s.Faults().Clear),
		},
		"/faults/": {http.MethodDelete: control.RemoveByID("fault", s.Faults().Remove)},
		"/requests": {
			http.MethodGet:    control.GetJSON(func() any { return s.Requests().All() }),
			http.MethodDelete: control.NoContent(s.log.Reset),
		},
		"/reset": {http.MethodPost: control.NoContent(s.Reset)},
		"/settings": {
			http.MethodGet: settings,
			http.MethodPost: control.PostJSON(http.StatusOK, func(c settingsChange) (any, error) {
				if c.HTTPSOnly != nil {
					s.SetHTTPSOnly(*c.HTTPSOnly)
				}
				if c.RateLimits != nil {
					s.SetRateLimits(*c.RateLimits)
				}
				return s.settings(), nil
			}),
		},
		"/clock": {
			http.MethodGet: clock,
			http.MethodPost: control.PostJSON(http.StatusOK, func(c clockChange) (any, error) {
				if err := s.changeClock(c); err != nil {
					return nil, err
				}
				return s.clockState(), nil
			}),
		},
		"/messages": {
			http.MethodGet:    control.GetJSON(func() any { return s.World().Messages() }),
			http.MethodDelete: control.NoContent(s.World().ClearMessages),
		},
		"/captcha/": {http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			c, ok := s.Challenges().Captcha(r.PathValue("id"))
			if !ok {
				control.Error(w, http.StatusNotFound, errors.New("no such captcha"))
				return
			}
			core.WriteJSON(w, http.StatusOK, c)
		}},
		"/validate": {http.MethodPost: control.PostJSON(http.StatusOK, func(v validationDone) (any, error) {
			tok, err := s.Challenges().CompleteValidation(v.RedirectURI)
			return map[string]string{"access_token": tok}, err
		})},
		"/challenges": {
			http.MethodGet: challenges,
			http.MethodPost: control.PostJSON(http.StatusOK, func(c Challenges) (any, error) {
				if err := s.Challenges().Set(c); err != nil {
					return nil, err
				}
				return s.Challenges().Rules(), nil
			}),
			http.MethodDelete: control.NoContent(func() { _ = s.Challenges().Set(Challenges{}) }),
		},
		"/procedures": {
			http.MethodGet:  control.GetJSON(func() any { return s.Procedures().List() }),
			http.MethodPost: control.PostJSON(http.StatusCreated, func(p Procedure) (any, error) { return p, s.Procedures().Set(p.Name, p.Code) }),
		},
		"/procedures/":  {http.MethodDelete: control.RemoveByID("procedure", s.Procedures().Remove)},
		"/uploads":      s.uploadRoute(),
		"/world":        {http.MethodGet: control.GetJSON(func() any { return s.World().Snapshot() })},
		"/world/users":  {http.MethodPost: control.PostJSON(http.StatusOK, func(u User) (any, error) { return u, s.World().PutUser(u) })},
		"/world/groups": {http.MethodPost: control.PostJSON(http.StatusOK, func(g Group) (any, error) { return g, s.World().PutGroup(g) })},
		"/world/albums": {http.MethodPost: control.PostJSON(http.StatusOK, func(a Album) (any, error) { return a, s.World().PutAlbum(a) })},
		"/world/posts": {http.MethodPost: control.PostJSON(http.StatusOK, func(p Post) (any, error) {
			var err error
			p.ID, err = s.World().AddPost(p)
			return p, err
		})},
	}
}

// The mock's clock stays between these dates, so that every date it
// answers is a positive Unix time and its offset fits a time.Duration.
var (
	minClock = time.Unix(0, 0).UTC()
	maxClock = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// changeClock applies a POST /__vkmock/clock; a time outside minClock to
// maxClock is refused, naming the field and its range.
func (s *Server) changeClock(c clockChange) error {
	inRange := func(field string, t time.Time) error {
		if t.Before(minClock) || t.After(maxClock) {
			return core.FieldErr(field, "must give a time between %s and %s", minClock.Format(time.RFC3339), maxClock.Format(time.RFC3339))
		}
		return nil
	}
	// advance is how far the clock may move from now, each way.
	advance := func(field string, d time.Duration, unit time.Duration) error {
		now := s.now()
		lo, hi := minClock.Sub(now), maxClock.Sub(now)
		if d < lo || d > hi {
			if unit == time.Millisecond {
				return core.FieldErr(field, "must be between %d and %d", lo/unit, hi/unit)
			}
			return core.FieldErr(field, "must be between %v and %v", lo, hi)
		}
		return nil
	}
	switch {
	case c.Now != nil:
		if err := inRange("now", *c.Now); err != nil {
			return err
		}
		s.Clock().Set(*c.Now)
	case c.Unix != nil:
		if *c.Unix < minClock.Unix() || *c.Unix > maxClock.Unix() {
			return core.FieldErr("unix", "must be between %d and %d", minClock.Unix(), maxClock.Unix())
		}
		s.Clock().Set(time.Unix(*c.Unix, 0))
	case c.Advance != "":
		d, err := time.ParseDuration(c.Advance)
		if err != nil {
			return core.FieldErr("advance", "must be a duration such as \"90s\" or \"-24h\": %v", err)
		}
		if err := advance("advance", d, 1); err != nil {
			return err
		}
		s.Clock().Advance(d)
	case c.AdvanceMS != nil:
		ms := *c.AdvanceMS
		const most = math.MaxInt64 / int64(time.Millisecond)
		if ms < -most || ms > most {
			return advance("advance_ms", time.Duration(math.MaxInt64), time.Millisecond)
		}
		if err := advance("advance_ms", time.Duration(ms)*time.Millisecond, time.Millisecond); err != nil {
			return err
		}
		s.Clock().Advance(time.Duration(ms) * time.Millisecond)
	default:
		return errors.New("set one of now, unix, advance, advance_ms")
	}
	return nil
}

// Settings are the settings the control API can read and change.
type Settings struct {
	HTTPSOnly  bool  `json:"https_only"`
	RateLimits bool  `json:"rate_limits"`
	Seed       int64 `json:"seed"`
}

func (s *Server) settings() Settings {
	return Settings{HTTPSOnly: s.httpsOnly.Load(), RateLimits: s.rateLimits.Load(), Seed: s.seed}
}
