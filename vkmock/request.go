package vkmock

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// vkRequest and kv are the rooms' request and parameter (internal/core).
type (
	vkRequest = core.Request
	kv        = core.KV
)

// parseRequest reads the parameters and the token of a VK request. The
// error it returns is the error 8 (or 9999) to answer with.
func (s *Server) parseRequest(w http.ResponseWriter, r *http.Request) (*vkRequest, *vkerr.Error) {
	q := &vkRequest{Name: strings.TrimPrefix(r.URL.Path, "/method/"), TLS: r.TLS != nil, Host: r.Host}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		return q, &vkerr.Error{Code: vkerr.NotSupportedHTTPMethod}
	}
	var err error
	q.Params, err = core.ParseForm(make([]kv, 0, 8), r.URL.RawQuery, s.maxParams)
	if err == nil && r.Method == http.MethodPost && r.Body != nil && r.Body != http.NoBody {
		q.Params, err = core.ParseBody(w, r, q.Params, s.maxBody, s.maxParams)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, core.ErrTooManyParams):
			return q, s.requestError("too many parameters")
		case errors.Is(err, core.ErrTooLarge), errors.As(err, &mbe):
			return q, s.requestError("request is too large")
		default:
			return q, s.requestError("malformed request body")
		}
	}
	if v, ok := q.Get("access_token"); ok && v != "" {
		q.Token, q.HasToken = v, true
	} else if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			if tok := strings.TrimSpace(h[7:]); tok != "" {
				q.Token, q.HasToken = tok, true
			}
		}
	}
	return q, nil
}

func (s *Server) requestError(detail string) *vkerr.Error {
	return s.msgs().Request(detail)
}
