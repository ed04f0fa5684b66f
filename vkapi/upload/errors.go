package upload

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/vkerr/vkerr"
)

// Step is one of the three steps of an upload.
type Step int

// The steps.
const (
	StepServer Step = 1 // the get-upload-server call
	StepUpload Step = 2 // the POST to upload_url
	StepSave   Step = 3 // the save call
)

// String names the step.
func (s Step) String() string {
	switch s {
	case StepServer:
		return "get upload server"
	case StepUpload:
		return "upload"
	case StepSave:
		return "save"
	}
	return "step " + strconv.Itoa(int(s))
}

// Error is the failure of an upload: the step that failed last, the chains
// begun (step 1 calls), the requests of that step in its chain, the
// redacted upload URL, and the cause.
type Error struct {
	Step     Step
	Method   string // the API method of step 1 or 3
	Chains   int
	Attempts int
	URL      string // scheme://host/path of upload_url, without its signed query
	// Unknown reports that a save may have gone through: its answer was
	// lost and its resends failed. The upload was then not started again.
	Unknown bool
	Err     error
}

// Error describes the failure, secrets redacted.
func (e *Error) Error() string {
	s := "upload: " + e.Step.String()
	if e.Method != "" {
		s += " (" + e.Method + ")"
	}
	if e.URL != "" {
		s += " to " + e.URL
	}
	s += " failed" + tries(e.Chains, e.Attempts)
	if e.Unknown {
		s += ", the save's outcome unknown"
	}
	if e.Err != nil {
		s += ": " + vkerr.RedactString(e.Err.Error())
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// tries says how often an upload was tried: "after 2 attempts", or, when
// it started over, "after 3 tries from a new upload server (1 attempt in
// the last)".
func tries(chains, attempts int) string {
	n := func(k int, one, many string) string {
		if k == 1 {
			return "1 " + one
		}
		return strconv.Itoa(k) + " " + many
	}
	if chains <= 1 {
		return " after " + n(attempts, "attempt", "attempts")
	}
	return " after " + n(chains, "try", "tries") + " from a new upload server (" + n(attempts, "attempt", "attempts") + " in the last)"
}

// HTTPStatusError is an upload server's answer with a status other than
// 200.
type HTTPStatusError struct {
	StatusCode int
	Snippet    string // the start of the body, secrets redacted
}

// Error describes the status.
func (e *HTTPStatusError) Error() string {
	s := "upload server answered HTTP " + strconv.Itoa(e.StatusCode)
	if e.Snippet != "" {
		s += ": " + strconv.Quote(e.Snippet)
	}
	return s
}

// Is matches vkerr.ErrTransient for a 5xx or 429, the kinds time may fix.
func (e *HTTPStatusError) Is(target error) bool {
	return target == vkerr.ErrTransient && (e.StatusCode >= 500 || e.StatusCode == 429)
}

// ErrTooLarge is the error of a file over Policy.MaxBytes.
var ErrTooLarge = errors.New("upload: file over the size limit")

// ErrBadAnswer is matched by an answer of an upload step that cannot be
// used (no upload_url, a field missing).
var ErrBadAnswer = errors.New("upload: unusable answer")

// answerError is an unusable answer.
type answerError struct{ what string }

func (e *answerError) Error() string        { return "upload: unusable answer: " + e.what }
func (e *answerError) Is(target error) bool { return target == ErrBadAnswer }

// redactURL keeps scheme, host and path of an upload URL: its query holds
// the signatures.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "[upload url]"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// hideURL replaces the URL of a net/http error by its redacted form.
func hideURL(err error, raw string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		c := *ue
		c.URL = redactURL(raw)
		return &c
	}
	return err
}
