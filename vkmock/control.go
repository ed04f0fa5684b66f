package vkmock

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
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
