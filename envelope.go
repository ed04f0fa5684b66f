package vkerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// DefaultMaxBodySize bounds the response bodies CheckResponse reads: execute
// answers up to 5 MB, so 8 MiB leaves room.
const DefaultMaxBodySize = 8 << 20

// Envelope is a decoded VK API response body: {"response": ...},
// {"error": {...}}, or the execute form {"response": ..., "execute_errors":
// [...]}.
type Envelope struct {
	Response      json.RawMessage `json:"response,omitempty"`
	Error         *Error          `json:"error,omitempty"`
	ExecuteErrors ExecuteErrors   `json:"execute_errors,omitempty"`
}

// Err returns the envelope's error: the *Error, else the ExecuteErrors when
// an inner call of execute failed, else nil.
func (env *Envelope) Err() error {
	if env.Error != nil {
		return env.Error
	}
	if len(env.ExecuteErrors) > 0 {
		return env.ExecuteErrors
	}
	return nil
}

// ExecuteErrors lists the inner calls of an execute request that failed, in
// call order; each member carries its Method. errors.Is and errors.As look at
// every member: errors.Is(err, vkerr.UserDeleted) is true when any inner call
// failed with 18.
type ExecuteErrors []*Error

// Error summarises the failed inner calls.
func (ee ExecuteErrors) Error() string {
	var b strings.Builder
	b.WriteString("vk: execute: ")
	b.WriteString(strconv.Itoa(len(ee)))
	if len(ee) == 1 {
		b.WriteString(" inner call failed")
	} else {
		b.WriteString(" inner calls failed")
	}
	for i, e := range ee {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(strings.TrimPrefix(e.Error(), "vk: "))
	}
	return b.String()
}

// Unwrap returns the members, for errors.Is and errors.As.
func (ee ExecuteErrors) Unwrap() []error {
	errs := make([]error, 0, len(ee))
	for _, e := range ee {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// HTTPError is a failure below the API: a status other than 200, an HTML
// page, an empty, truncated or oversized body. It is transient:
// errors.Is(err, vkerr.ErrTransient) is true.
type HTTPError struct {
	StatusCode  int    // HTTP status; 200 when the status was fine but the body was not
	ContentType string // Content-Type of the response, if known
	Reason      string // what was wrong, such as "html page" or "truncated body"
	Snippet     string // the start of the body, secrets redacted
}

// Error returns a one-line description with the status and a snippet.
func (e *HTTPError) Error() string {
	s := "vk: HTTP " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	if e.Reason != "" {
		s += ": " + RedactString(e.Reason)
	}
	if e.Snippet != "" {
		s += ": " + strconv.Quote(RedactString(e.Snippet))
	}
	return s
}

// Is matches the transient category.
func (e *HTTPError) Is(target error) bool { return target == ErrTransient }

// Category returns CategoryTransient.
func (e *HTTPError) Category() Category { return CategoryTransient }

// Temporary reports true: the same request may succeed later.
func (e *HTTPError) Temporary() bool { return true }

// ErrNotVK is matched by errors that say a body is not in any shape the VK
// platform answers with.
var ErrNotVK = errors.New("vk: not a VK API response")

// FormatError says that a body is not in any shape the VK platform answers
// with. errors.Is(err, ErrNotVK) is true.
type FormatError struct {
	Reason  string
	Snippet string
}

func (e *FormatError) Error() string {
	s := "vk: not a VK API response: " + RedactString(e.Reason)
	if e.Snippet != "" {
		s += ": " + strconv.Quote(RedactString(e.Snippet))
	}
	return s
}

// Is matches ErrNotVK.
func (e *FormatError) Is(target error) bool { return target == ErrNotVK }

const snippetLen = 200

// snippetWindow is how much of a body Snippet redacts before it cuts: a
// secret that starts within the first snippetLen bytes is masked whole as
// long as it is shorter than this.
const snippetWindow = 64 << 10

// RedactedSnippet returns the start of body for an error message: at most 200 bytes,
// valid UTF-8, white space folded, secrets redacted. It redacts first and
// cuts after, so a secret that crosses the cut leaves no piece in the
// snippet.
func RedactedSnippet(body []byte) string {
	if len(body) > snippetWindow {
		body = body[:snippetWindow]
	}
	return RedactShort(strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "")), " "), snippetLen)
}

// looksHTML reports whether body is an HTML page rather than JSON.
func looksHTML(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	head := bytes.ToLower(b[:min(len(b), 512)])
	return bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype")) ||
		bytes.Contains(head, []byte("<head")) || bytes.Contains(head, []byte("<body")) ||
		bytes.Contains(head, []byte("<title")) || bytes.Contains(head, []byte("<h1"))
}

// classifyJunk explains a body that is not valid JSON: an *HTTPError for an
// empty, HTML or truncated body, a *FormatError for anything else.
func classifyJunk(body []byte) error {
	t := bytes.TrimSpace(body)
	switch {
	case len(t) == 0:
		return &HTTPError{StatusCode: 200, Reason: "empty body"}
	case looksHTML(t):
		return &HTTPError{StatusCode: 200, ContentType: "text/html", Reason: "html page", Snippet: RedactedSnippet(t)}
	case t[0] == '{' || t[0] == '[':
		var syn *json.SyntaxError
		err := json.Unmarshal(t, new(any))
		if errors.As(err, &syn) && syn.Offset >= int64(len(t)) || err != nil && strings.Contains(err.Error(), "unexpected end of JSON input") {
			return &HTTPError{StatusCode: 200, Reason: "truncated body", Snippet: RedactedSnippet(t)}
		}
		return &FormatError{Reason: "invalid JSON", Snippet: RedactedSnippet(t)}
	}
	return &FormatError{Reason: "not JSON", Snippet: RedactedSnippet(t)}
}

// DecodeEnvelope decodes a VK API response body. A body that is empty,
// truncated or an HTML page gives an *HTTPError; JSON without "response" or
// "error" gives a *FormatError (errors.Is(err, ErrNotVK)).
func DecodeEnvelope(body []byte) (*Envelope, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, &FormatError{Reason: "JSON is not an object", Snippet: RedactedSnippet(body)}
		}
		return nil, classifyJunk(body)
	}
	env := &Envelope{}
	errRaw, hasErr := raw["error"]
	resp, hasResp := raw["response"]
	if !hasErr && !hasResp {
		return nil, &FormatError{Reason: `no "response" or "error" key`, Snippet: RedactedSnippet(body)}
	}
	if hasErr {
		t := bytes.TrimSpace(errRaw)
		if len(t) == 0 || t[0] != '{' {
			return nil, &FormatError{Reason: `"error" is not an API error object`, Snippet: RedactedSnippet(body)}
		}
		env.Error = new(Error)
		if err := json.Unmarshal(errRaw, env.Error); err != nil {
			return nil, &FormatError{Reason: err.Error(), Snippet: RedactedSnippet(body)}
		}
	}
	if hasResp {
		env.Response = resp
	}
	if ee, ok := raw["execute_errors"]; ok && !isNull(ee) {
		if err := json.Unmarshal(ee, &env.ExecuteErrors); err != nil {
			return nil, &FormatError{Reason: "execute_errors: " + err.Error(), Snippet: RedactedSnippet(body)}
		}
		env.ExecuteErrors = slices.DeleteFunc(env.ExecuteErrors, func(e *Error) bool { return e == nil })
		if len(env.ExecuteErrors) == 0 {
			env.ExecuteErrors = nil
		}
	}
	return env, nil
}

// DecodeResponse decodes a VK API response body and returns its "response"
// value and its error. Both are set after an execute whose inner calls
// partly failed: the error is then ExecuteErrors.
func DecodeResponse(body []byte) (json.RawMessage, error) {
	env, err := DecodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	return env.Response, env.Err()
}

// CheckResponse reads and classifies an HTTP response of the VK API, in the
// manner of go-github's CheckResponse: it reads at most maxBody bytes
// (DefaultMaxBodySize when maxBody <= 0) and hands them to Classify. It does
// not close the body.
func CheckResponse(resp *http.Response, maxBody int64) (json.RawMessage, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	return Classify(resp.StatusCode, resp.Header, body, err, maxBody)
}

// Classify classifies an answer of the VK API from its bytes: the HTTP
// status, the header, the body read (at most maxBody+1 bytes of it, so that
// an oversized body shows) and the error that ended the read, if any. A
// read error, a body larger than maxBody (DefaultMaxBodySize when maxBody <=
// 0), a status other than 200, an HTML page or a bad body is an *HTTPError
// (transient) or a *FormatError; otherwise the envelope is decoded as
// DecodeResponse does. CheckResponse reads a response and calls it; clients
// that read the body themselves (to decode the common case in one pass)
// call it with what they read.
func Classify(status int, header http.Header, body []byte, readErr error, maxBody int64) (json.RawMessage, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	ct := header.Get("Content-Type")
	if readErr != nil {
		return nil, &HTTPError{StatusCode: status, ContentType: ct, Reason: "reading body: " + RedactString(readErr.Error()), Snippet: RedactedSnippet(body)}
	}
	if int64(len(body)) > maxBody {
		return nil, &HTTPError{StatusCode: status, ContentType: ct, Reason: fmt.Sprintf("body larger than %d bytes", maxBody), Snippet: RedactedSnippet(body)}
	}
	if status != http.StatusOK {
		reason := "unexpected status"
		if looksHTML(body) {
			reason = "html page"
		}
		return nil, &HTTPError{StatusCode: status, ContentType: ct, Reason: reason, Snippet: RedactedSnippet(body)}
	}
	out, err := DecodeResponse(body)
	var he *HTTPError
	if errors.As(err, &he) {
		he.ContentType = ct
	}
	return out, err
}
