package core

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

// KV is one request parameter.
type KV struct{ Key, Value string }

// Request is a parsed call of /method/NAME.
type Request struct {
	Name     string
	Params   []KV // query first, then body, in order
	Token    string
	HasToken bool
	TLS      bool
	Host     string // the Host of the request, for the URLs of challenges
	Captcha  int    // the state of a captcha answer (AnswerNone, ...)
	// Answered is the captcha the request answers, if known.
	Answered *CaptchaInfo
}

// Get returns the first value of key.
func (q *Request) Get(key string) (string, bool) {
	for i := range q.Params {
		if q.Params[i].Key == key {
			return q.Params[i].Value, true
		}
	}
	return "", false
}

// Flag reports whether a parameter is set to a true value (1 or true).
func (q *Request) Flag(key string) bool {
	v, _ := q.Get(key)
	return v == "1" || v == "true"
}

// Echo is the request_params VK sends with an error: the parameters except
// the token, then the method, then oauth=1 when a token was sent. Other
// secrets are masked when vkerr encodes them.
func (q *Request) Echo() vkerr.RequestParams {
	out := make(vkerr.RequestParams, 0, len(q.Params)+2)
	for _, p := range q.Params {
		if p.Key == "access_token" {
			continue
		}
		// vkerr masks secret values; a token sent as a key is masked here.
		out = append(out, vkerr.RequestParam{Key: vkerr.RedactString(strings.ToValidUTF8(p.Key, "\uFFFD")), Value: strings.ToValidUTF8(p.Value, "\uFFFD")})
	}
	out = append(out, vkerr.RequestParam{Key: "method", Value: q.Name})
	if q.HasToken {
		out = append(out, vkerr.RequestParam{Key: "oauth", Value: "1"})
	}
	return out
}

// errTooMany and ErrMalformed are the parse failures that become error 8.
var (
	ErrTooManyParams = errors.New("too many parameters")
	ErrMalformed     = errors.New("malformed parameters")
	ErrTooLarge      = errors.New("request is too large")
)

// ParseForm appends the parameters of an application/x-www-form-urlencoded
// string to dst.
func ParseForm(dst []KV, s string, maxParams int) ([]KV, error) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if len(dst) >= maxParams {
			return dst, ErrTooManyParams
		}
		k, v, _ := strings.Cut(pair, "=")
		var err error
		if k, err = unescape(k); err != nil {
			return dst, ErrMalformed
		}
		if v, err = unescape(v); err != nil {
			return dst, ErrMalformed
		}
		dst = append(dst, KV{k, v})
	}
	return dst, nil
}

func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// BadUTF8 returns the first parameter whose key or value is not valid
// UTF-8.
func (q *Request) BadUTF8() (string, bool) {
	for _, p := range q.Params {
		if !utf8.ValidString(p.Value) || !utf8.ValidString(p.Key) {
			return strings.ToValidUTF8(p.Key, "\uFFFD"), true
		}
	}
	return "", false
}

// Base is scheme://host of the mock as the client reached it, for the
// URLs of captchas and validation pages.
func (q *Request) Base() string {
	if q.TLS {
		return "https://" + q.Host
	}
	return "http://" + q.Host
}

// ParseBody appends the parameters of a POST body to dst: a form, or the
// fields (not the files) of a multipart form. Other bodies are read and
// ignored, as VK does. maxBody bounds the body, maxParams the parameters.
func ParseBody(w http.ResponseWriter, r *http.Request, dst []KV, maxBody int64, maxParams int) ([]KV, error) {
	ct := r.Header.Get("Content-Type")
	mt := "application/x-www-form-urlencoded"
	var mparams map[string]string
	if ct != "" {
		var err error
		mt, mparams, err = mime.ParseMediaType(ct)
		if err != nil {
			return dst, ErrMalformed
		}
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(body)
		if err != nil {
			return dst, err
		}
		return ParseForm(dst, string(b), maxParams)
	case "multipart/form-data":
		if mparams["boundary"] == "" {
			return dst, ErrMalformed
		}
		r.Body = body
		mr, err := r.MultipartReader()
		if err != nil {
			return dst, ErrMalformed
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
			if len(dst) >= maxParams {
				return dst, ErrTooManyParams
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return dst, err
			}
			dst = append(dst, KV{part.FormName(), string(b)})
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

// Handler answers one API method: the JSON of "response", or the error to
// answer instead. q is the parsed call, tok the token it was made with
// (already checked: it exists, is valid and may call the method).
type Handler func(q *Request, tok Token) ([]byte, *vkerr.Error)
