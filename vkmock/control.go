package vkmock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// maxControlBody bounds the bodies of control requests.
const maxControlBody = 1 << 20

// route is one endpoint of the control API: a handler per HTTP method
// ("*" for any method).
type route map[string]http.HandlerFunc

// allow lists the methods of a route, for the Allow header.
func (rt route) allow() string {
	methods := make([]string, 0, len(rt))
	for m := range rt {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// answerJSON writes what a handler made: JSON with status, or 400 with err.
func answerJSON(w http.ResponseWriter, status int, out any, err error) {
	if err != nil {
		controlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, status, out)
}

// getJSON answers GET with what get returns.
func getJSON(get func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, get()) }
}

// postJSON decodes the body into a T, applies it and answers status with
// the result, or 400 with apply's error.
func postJSON[T any](status int, apply func(T) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v T
		if !decodeBody(w, r, &v) {
			return
		}
		out, err := apply(v)
		answerJSON(w, status, out, err)
	}
}

// noContent runs do and answers 204.
func noContent(do func()) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		do()
		w.WriteHeader(http.StatusNoContent)
	}
}

// removeByID answers DELETE .../{id}: 204, or 404 when remove finds nothing.
func removeByID(what string, remove func(id string) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !remove(r.PathValue("id")) {
			controlError(w, http.StatusNotFound, errors.New("no such "+what))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

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
func (s *Server) controlRoutes() map[string]route {
	version := getJSON(func() any {
		return map[string]any{"version": Version, "schema": s.schema.Version(), "methods": len(s.schema.Methods())}
	})
	settings := getJSON(func() any { return s.settings() })
	clock := getJSON(func() any { return s.clockState() })
	challenges := getJSON(func() any { return s.Challenges().Rules() })
	return map[string]route{
		"":         {"*": version},
		"/version": {"*": version},
		"/tokens": {
			http.MethodGet: getJSON(func() any { return s.Tokens().All() }),
			http.MethodPost: postJSON(http.StatusCreated, func(t Token) (any, error) {
				if err := s.tokensFit(t); err != nil {
					return nil, err
				}
				return s.Tokens().Create(t)
			}),
		},
		"/tokens/state": {http.MethodPost: postJSON(http.StatusOK, func(c tokenStateChange) (any, error) {
			return map[string]string{"state": string(c.State)}, s.Tokens().SetState(c.Token, c.State)
		})},
		"/tokens/challenge": {http.MethodPost: postJSON(http.StatusOK, func(c tokenChallengeChange) (any, error) {
			return map[string]any{"error_code": c.ErrorCode}, s.Challenges().SetToken(c.Token, c.ErrorCode)
		})},
		"/apps": {
			http.MethodGet:  getJSON(func() any { return s.Tokens().Apps() }),
			http.MethodPost: postJSON(http.StatusOK, func(a App) (any, error) { return a, s.Tokens().SetApp(a) }),
		},
		"/faults": {
			http.MethodGet: getJSON(func() any { return s.Faults().List() }),
			http.MethodPost: postJSON(http.StatusCreated, func(f Fault) (any, error) {
				id, err := s.Faults().Add(f)
				return map[string]string{"id": id}, err
			}),
			http.MethodDelete: noContent(s.Faults().Clear),
		},
		"/faults/": {http.MethodDelete: removeByID("fault", s.Faults().Remove)},
		"/requests": {
			http.MethodGet:    getJSON(func() any { return s.Requests().All() }),
			http.MethodDelete: noContent(s.log.Reset),
		},
		"/reset": {http.MethodPost: noContent(s.Reset)},
		"/settings": {
			http.MethodGet: settings,
			http.MethodPost: postJSON(http.StatusOK, func(c settingsChange) (any, error) {
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
			http.MethodPost: postJSON(http.StatusOK, func(c clockChange) (any, error) {
				if err := s.changeClock(c); err != nil {
					return nil, err
				}
				return s.clockState(), nil
			}),
		},
		"/messages": {
			http.MethodGet:    getJSON(func() any { return s.World().Messages() }),
			http.MethodDelete: noContent(s.World().ClearMessages),
		},
		"/captcha/": {http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			c, ok := s.Challenges().Captcha(r.PathValue("id"))
			if !ok {
				controlError(w, http.StatusNotFound, errors.New("no such captcha"))
				return
			}
			writeJSON(w, http.StatusOK, c)
		}},
		"/validate": {http.MethodPost: postJSON(http.StatusOK, func(v validationDone) (any, error) {
			tok, err := s.Challenges().CompleteValidation(v.RedirectURI)
			return map[string]string{"access_token": tok}, err
		})},
		"/challenges": {
			http.MethodGet: challenges,
			http.MethodPost: postJSON(http.StatusOK, func(c Challenges) (any, error) {
				if err := s.Challenges().Set(c); err != nil {
					return nil, err
				}
				return s.Challenges().Rules(), nil
			}),
			http.MethodDelete: noContent(func() { _ = s.Challenges().Set(Challenges{}) }),
		},
		"/procedures": {
			http.MethodGet:  getJSON(func() any { return s.Procedures().List() }),
			http.MethodPost: postJSON(http.StatusCreated, func(p Procedure) (any, error) { return p, s.Procedures().Set(p.Name, p.Code) }),
		},
		"/procedures/":  {http.MethodDelete: removeByID("procedure", s.Procedures().Remove)},
		"/uploads":      s.uploadRoute(),
		"/world":        {http.MethodGet: getJSON(func() any { return s.World().Snapshot() })},
		"/world/users":  {http.MethodPost: postJSON(http.StatusOK, func(u User) (any, error) { return u, s.World().PutUser(u) })},
		"/world/groups": {http.MethodPost: postJSON(http.StatusOK, func(g Group) (any, error) { return g, s.World().PutGroup(g) })},
		"/world/albums": {http.MethodPost: postJSON(http.StatusOK, func(a Album) (any, error) { return a, s.World().PutAlbum(a) })},
		"/world/posts": {http.MethodPost: postJSON(http.StatusOK, func(p Post) (any, error) {
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

// serveControl serves the JSON control API under /__vkmock/.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/__vkmock"), "/")
	rt, ok := s.control[path]
	if !ok {
		if i := strings.LastIndexByte(path, '/'); i > 0 && i < len(path)-1 {
			if rt, ok = s.control[path[:i+1]]; ok {
				r.SetPathValue("id", path[i+1:])
			}
		}
	}
	if !ok {
		controlError(w, http.StatusNotFound, errors.New("unknown control endpoint"))
		return
	}
	h := rt["*"]
	if h == nil {
		h = rt[r.Method]
	}
	if h == nil {
		notAllowed(w, rt.allow())
		return
	}
	h(w, r)
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

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if tooLarge(w, err) {
			return false
		}
		controlError(w, http.StatusBadRequest, jsonError(err))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		if !tooLarge(w, err) {
			controlError(w, http.StatusBadRequest, errors.New("bad JSON: text after the JSON value"))
		}
		return false
	}
	return true
}

// tooLarge answers 413 when err is a body over maxControlBody.
func tooLarge(w http.ResponseWriter, err error) bool {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		return false
	}
	controlError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("body too large: over %d bytes", mbe.Limit))
	return true
}

// jsonError explains a decoding error, naming the field and the range of
// a number that does not fit.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		want := "a " + te.Type.String()
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int64:
			want = fmt.Sprintf("a whole number between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
		case reflect.Int32:
			want = fmt.Sprintf("a whole number between %d and %d", math.MinInt32, math.MaxInt32)
		case reflect.Bool:
			want = "true or false"
		}
		return &FieldError{Field: te.Field, Msg: "must be " + want + ", not " + te.Value}
	}
	return errors.New("bad JSON: " + err.Error())
}

// controlError answers {"error": ...}, with "field" for a FieldError.
func controlError(w http.ResponseWriter, status int, err error) {
	body := map[string]string{"error": err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		body["field"] = fe.Field
	}
	writeJSON(w, status, body)
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	controlError(w, http.StatusMethodNotAllowed, errors.New("method not allowed"))
}
