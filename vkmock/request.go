package vkmock

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// kv is one request parameter.
type kv struct{ key, value string }

// vkRequest is a parsed call of /method/NAME.
type vkRequest struct {
	name     string
	params   []kv // query first, then body, in order
	token    string
	hasToken bool
	tls      bool
	host     string // the Host of the request, for the URLs of challenges
	captcha  int    // the state of a captcha answer (answerNone, ...)
	// answered is the captcha the request answers, if known.
	answered *CaptchaInfo
}

// get returns the first value of key.
// Get is get, for the fault rules (faults.Params).
func (q *vkRequest) Get(key string) (string, bool) { return q.get(key) }

func (q *vkRequest) get(key string) (string, bool) {
	for i := range q.params {
		if q.params[i].key == key {
			return q.params[i].value, true
		}
	}
	return "", false
}

// flag reports whether a parameter is set to a true value (1 or true).
func (q *vkRequest) flag(key string) bool {
	v, _ := q.get(key)
	return v == "1" || v == "true"
}

// echo is the request_params VK sends with an error: the parameters except
// the token, then the method, then oauth=1 when a token was sent. Other
// secrets are masked when vkerr encodes them.
func (q *vkRequest) echo() vkerr.RequestParams {
	out := make(vkerr.RequestParams, 0, len(q.params)+2)
	for _, p := range q.params {
		if p.key == "access_token" {
			continue
		}
		// vkerr masks secret values; a token sent as a key is masked here.
		out = append(out, vkerr.RequestParam{Key: vkerr.RedactString(strings.ToValidUTF8(p.key, "\uFFFD")), Value: strings.ToValidUTF8(p.value, "\uFFFD")})
	}
	out = append(out, vkerr.RequestParam{Key: "method", Value: q.name})
	if q.hasToken {
		out = append(out, vkerr.RequestParam{Key: "oauth", Value: "1"})
	}
	return out
}

// errTooMany and errMalformed are the parse failures that become error 8.
var (
	errTooManyParams = errors.New("too many parameters")
	errMalformed     = errors.New("malformed parameters")
	errTooLarge      = errors.New("request is too large")
)

// parseForm appends the parameters of an application/x-www-form-urlencoded
// string to dst.
func parseForm(dst []kv, s string, maxParams int) ([]kv, error) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if len(dst) >= maxParams {
			return dst, errTooManyParams
		}
		k, v, _ := strings.Cut(pair, "=")
		var err error
		if k, err = unescape(k); err != nil {
			return dst, errMalformed
		}
		if v, err = unescape(v); err != nil {
			return dst, errMalformed
		}
		dst = append(dst, kv{k, v})
	}
	return dst, nil
}

func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// parseRequest reads the parameters and the token of a VK request. The
// error it returns is the error 8 (or 9999) to answer with.
func (s *Server) parseRequest(w http.ResponseWriter, r *http.Request) (*vkRequest, *vkerr.Error) {
	q := &vkRequest{name: strings.TrimPrefix(r.URL.Path, "/method/"), tls: r.TLS != nil, host: r.Host}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		return q, &vkerr.Error{Code: vkerr.NotSupportedHTTPMethod}
	}
	var err error
	q.params, err = parseForm(make([]kv, 0, 8), r.URL.RawQuery, s.maxParams)
	if err == nil && r.Method == http.MethodPost && r.Body != nil && r.Body != http.NoBody {
		q.params, err = s.parseBody(w, r, q.params)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, errTooManyParams):
			return q, s.requestError("too many parameters")
		case errors.Is(err, errTooLarge), errors.As(err, &mbe):
			return q, s.requestError("request is too large")
		default:
			return q, s.requestError("malformed request body")
		}
	}
	if v, ok := q.get("access_token"); ok && v != "" {
		q.token, q.hasToken = v, true
	} else if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			if tok := strings.TrimSpace(h[7:]); tok != "" {
				q.token, q.hasToken = tok, true
			}
		}
	}
	return q, nil
}

func (s *Server) requestError(detail string) *vkerr.Error {
	return &vkerr.Error{Code: vkerr.Request, Message: s.message(vkerr.Request) + ": " + detail}
}

func (s *Server) parseBody(w http.ResponseWriter, r *http.Request, dst []kv) ([]kv, error) {
	ct := r.Header.Get("Content-Type")
	mt := "application/x-www-form-urlencoded"
	var mparams map[string]string
	if ct != "" {
		var err error
		mt, mparams, err = mime.ParseMediaType(ct)
		if err != nil {
			return dst, errMalformed
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(body)
		if err != nil {
			return dst, err
		}
		return parseForm(dst, string(b), s.maxParams)
	case "multipart/form-data":
		if mparams["boundary"] == "" {
			return dst, errMalformed
		}
		r.Body = body
		mr, err := r.MultipartReader()
		if err != nil {
			return dst, errMalformed
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return dst, nil
			}
			if err != nil {
				return dst, err
			}
			if part.FileName() != "" || part.FormName() == "" {
				if _, err := io.Copy(io.Discard, part); err != nil {
					return dst, err
				}
				continue
			}
			if len(dst) >= s.maxParams {
				return dst, errTooManyParams
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return dst, err
			}
			dst = append(dst, kv{part.FormName(), string(b)})
		}
	default:
		// VK reads parameters only from forms; other bodies (JSON among
		// them) are ignored, but still bounded.
		if _, err := io.Copy(io.Discard, body); err != nil {
			return dst, err
		}
		return dst, nil
	}
}

// badUTF8 returns the first parameter whose key or value is not valid
// UTF-8.
func (q *vkRequest) badUTF8() (string, bool) {
	for _, p := range q.params {
		if !utf8.ValidString(p.value) || !utf8.ValidString(p.key) {
			return strings.ToValidUTF8(p.key, "\uFFFD"), true
		}
	}
	return "", false
}

// base is scheme://host of the mock as the client reached it, for the
// URLs of captchas and validation pages.
func (q *vkRequest) base() string {
	if q.tls {
		return "https://" + q.host
	}
	return "http://" + q.host
}
