package vkmock

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// maxControlBody bounds the bodies of control requests.
const maxControlBody = 1 << 20

// serveControl serves the JSON control API under /__vkmock/.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/__vkmock"), "/")
	switch {
	case path == "/tokens":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Tokens())
		case http.MethodPost:
			var t Token
			if !decodeBody(w, r, &t) {
				return
			}
			created, err := s.CreateToken(t)
			if err != nil {
				controlError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusCreated, created)
		default:
			notAllowed(w, "GET, POST")
		}
	case path == "/tokens/state":
		if r.Method != http.MethodPost {
			notAllowed(w, "POST")
			return
		}
		var body struct {
			Token string     `json:"token"`
			State TokenState `json:"state"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		if err := s.SetTokenState(body.Token, body.State); err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"state": string(body.State)})
	case path == "/apps":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Apps())
		case http.MethodPost:
			var a App
			if !decodeBody(w, r, &a) {
				return
			}
			if err := s.SetApp(a); err != nil {
				controlError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusOK, a)
		default:
			notAllowed(w, "GET, POST")
		}
	case path == "/faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Faults())
		case http.MethodPost:
			var f Fault
			if !decodeBody(w, r, &f) {
				return
			}
			id, err := s.AddFault(f)
			if err != nil {
				controlError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusCreated, map[string]string{"id": id})
		case http.MethodDelete:
			s.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		default:
			notAllowed(w, "GET, POST, DELETE")
		}
	case strings.HasPrefix(path, "/faults/"):
		if r.Method != http.MethodDelete {
			notAllowed(w, "DELETE")
			return
		}
		if !s.RemoveFault(strings.TrimPrefix(path, "/faults/")) {
			controlError(w, http.StatusNotFound, errors.New("no such fault"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "/requests":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Requests())
		case http.MethodDelete:
			s.log.reset()
			w.WriteHeader(http.StatusNoContent)
		default:
			notAllowed(w, "GET, DELETE")
		}
	case path == "/reset":
		if r.Method != http.MethodPost {
			notAllowed(w, "POST")
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "/settings":
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var body struct {
				HTTPSOnly  *bool `json:"https_only"`
				RateLimits *bool `json:"rate_limits"`
			}
			if !decodeBody(w, r, &body) {
				return
			}
			if body.HTTPSOnly != nil {
				s.SetHTTPSOnly(*body.HTTPSOnly)
			}
			if body.RateLimits != nil {
				s.SetRateLimits(*body.RateLimits)
			}
		default:
			notAllowed(w, "GET, POST")
			return
		}
		writeJSON(w, http.StatusOK, s.settings())
	case path == "/clock":
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var body clockChange
			if !decodeBody(w, r, &body) {
				return
			}
			switch {
			case body.Now != nil:
				s.SetNow(*body.Now)
			case body.Unix != nil:
				s.SetNow(time.Unix(*body.Unix, 0))
			case body.Advance != "":
				d, err := time.ParseDuration(body.Advance)
				if err != nil {
					controlError(w, http.StatusBadRequest, errors.New("advance: "+err.Error()))
					return
				}
				s.Advance(d)
			case body.AdvanceMS != nil:
				s.Advance(time.Duration(*body.AdvanceMS) * time.Millisecond)
			default:
				controlError(w, http.StatusBadRequest, errors.New("set one of now, unix, advance, advance_ms"))
				return
			}
		default:
			notAllowed(w, "GET, POST")
			return
		}
		writeJSON(w, http.StatusOK, s.clockState())
	case path == "/messages":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Messages())
		case http.MethodDelete:
			s.ClearMessages()
			w.WriteHeader(http.StatusNoContent)
		default:
			notAllowed(w, "GET, DELETE")
		}
	case strings.HasPrefix(path, "/captcha/"):
		if r.Method != http.MethodGet {
			notAllowed(w, "GET")
			return
		}
		c, ok := s.Captcha(strings.TrimPrefix(path, "/captcha/"))
		if !ok {
			controlError(w, http.StatusNotFound, errors.New("no such captcha"))
			return
		}
		writeJSON(w, http.StatusOK, c)
	case path == "/tokens/challenge":
		if r.Method != http.MethodPost {
			notAllowed(w, "POST")
			return
		}
		var body struct {
			Token     string     `json:"token"`
			ErrorCode vkerr.Code `json:"error_code"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		if err := s.SetTokenChallenge(body.Token, body.ErrorCode); err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"error_code": body.ErrorCode})
	case path == "/validate":
		if r.Method != http.MethodPost {
			notAllowed(w, "POST")
			return
		}
		var body struct {
			RedirectURI string `json:"redirect_uri"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		tok, err := s.CompleteValidation(body.RedirectURI)
		if err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"access_token": tok})
	case path == "/challenges":
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var c Challenges
			if !decodeBody(w, r, &c) {
				return
			}
			if err := s.SetChallenges(c); err != nil {
				controlError(w, http.StatusBadRequest, err)
				return
			}
		case http.MethodDelete:
			_ = s.SetChallenges(Challenges{})
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			notAllowed(w, "GET, POST, DELETE")
			return
		}
		writeJSON(w, http.StatusOK, s.Challenges())
	case path == "/procedures":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Procedures())
		case http.MethodPost:
			var p Procedure
			if !decodeBody(w, r, &p) {
				return
			}
			if err := s.SetProcedure(p.Name, p.Code); err != nil {
				controlError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusCreated, p)
		default:
			notAllowed(w, "GET, POST")
		}
	case strings.HasPrefix(path, "/procedures/"):
		if r.Method != http.MethodDelete {
			notAllowed(w, "DELETE")
			return
		}
		if !s.RemoveProcedure(strings.TrimPrefix(path, "/procedures/")) {
			controlError(w, http.StatusNotFound, errors.New("no such procedure"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "/world":
		if r.Method != http.MethodGet {
			notAllowed(w, "GET")
			return
		}
		writeJSON(w, http.StatusOK, s.WorldSnapshot())
	case path == "/world/users", path == "/world/groups", path == "/world/albums", path == "/world/posts":
		if r.Method != http.MethodPost {
			notAllowed(w, "POST")
			return
		}
		var err error
		var out any
		switch path {
		case "/world/users":
			var u User
			if !decodeBody(w, r, &u) {
				return
			}
			err, out = s.PutUser(u), u
		case "/world/groups":
			var g Group
			if !decodeBody(w, r, &g) {
				return
			}
			err, out = s.PutGroup(g), g
		case "/world/albums":
			var a Album
			if !decodeBody(w, r, &a) {
				return
			}
			err, out = s.PutAlbum(a), a
		default:
			var p Post
			if !decodeBody(w, r, &p) {
				return
			}
			p.ID, err = s.AddPost(p)
			out = p
		}
		if err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case path == "" || path == "/version":
		writeJSON(w, http.StatusOK, map[string]any{"version": Version, "schema": s.schema.version, "methods": len(s.schema.ordered)})
	default:
		controlError(w, http.StatusNotFound, errors.New("unknown control endpoint"))
	}
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
	dec := json.NewDecoder(io.LimitReader(r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, errors.New("bad JSON: "+err.Error()))
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	controlError(w, http.StatusMethodNotAllowed, errors.New("method not allowed"))
}
