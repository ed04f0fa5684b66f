package vkerr

import (
	"bytes"
	"encoding/json"
)

// Shape names the kind of body Inspect recognised.
type Shape string

// The shapes of bodies the VK platform answers with.
const (
	ShapeAPI      Shape = "api"       // {"response":...} or {"error":{...}}, execute included
	ShapeUpload   Shape = "upload"    // an upload server's answer
	ShapeOAuth    Shape = "oauth"     // oauth.vk.com's token endpoint
	ShapeLongPoll Shape = "long_poll" // a Long Poll server's answer
	ShapeHTTP     Shape = "http"      // not JSON: an HTML page, an empty or truncated body
	// ShapeAdsItem is one item of an ads.* answer on its own,
	// {"error_code":N,"error_desc":"..."}, as a program logs it.
	ShapeAdsItem Shape = "ads_item"
	// ShapeStreaming is an answer of the Streaming API's rules endpoint or
	// a message of its stream: {"code":N,...} (see DecodeStreaming).
	ShapeStreaming Shape = "streaming"
)

// Report is what Inspect found in a body.
type Report struct {
	Shape    Shape
	Response json.RawMessage // the success value, if any
	// Errors lists every error in the body: an API *Error, each member of
	// execute_errors (with its Method), each failed item of an ads.* array,
	// or the *UploadError, *OAuthError, *LongPollError, *StreamingError,
	// *HTTPError.
	Errors []error
}

// Inspect reads any body the VK platform returns (API envelope, execute
// with execute_errors, ads.* per-item results, upload server, OAuth, Long
// Poll, or an HTTP-level failure) and lists the errors in it. It returns a
// *FormatError (errors.Is(err, ErrNotVK)) for a body in none of these shapes.
func Inspect(body []byte) (*Report, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		if err == nil {
			return nil, &FormatError{Reason: "JSON null", Snippet: RedactedSnippet(body)}
		}
		junk := classifyJunk(body)
		if he, ok := junk.(*HTTPError); ok {
			return &Report{Shape: ShapeHTTP, Errors: []error{he}}, nil
		}
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' && json.Valid(t) {
			return nil, &FormatError{Reason: "JSON is not an object", Snippet: RedactedSnippet(body)}
		}
		return nil, junk
	}
	switch {
	case has(raw, "failed"):
		_, err := DecodeLongPoll(body)
		return report(ShapeLongPoll, nil, err)
	case has(raw, "ts") && has(raw, "updates"):
		return &Report{Shape: ShapeLongPoll}, nil
	case isOAuthError(raw):
		_, err := DecodeOAuth(body)
		return report(ShapeOAuth, nil, err)
	case has(raw, "errcode") || has(raw, "error_descr") || isUploadErrorObject(raw):
		return report(ShapeUpload, nil, uploadFailure(raw))
	case has(raw, "error") && isString(raw["error"]):
		return report(ShapeUpload, nil, uploadFailure(raw))
	case isStreamingAnswer(raw):
		_, err := DecodeStreaming(body)
		return report(ShapeStreaming, nil, err)
	case has(raw, "response") || has(raw, "error"):
		env, err := DecodeEnvelope(body)
		if err != nil {
			return nil, err
		}
		rep := &Report{Shape: ShapeAPI, Response: env.Response}
		if env.Error != nil {
			rep.Errors = append(rep.Errors, env.Error)
		}
		for _, e := range env.ExecuteErrors {
			rep.Errors = append(rep.Errors, e)
		}
		if env.Response != nil {
			if _, err := DecodeAdsResults(env.Response, false); err != nil {
				if ae, ok := err.(AdsErrors); ok {
					for _, e := range ae {
						rep.Errors = append(rep.Errors, e)
					}
				}
			}
		}
		return rep, nil
	case has(raw, "error_code") && has(raw, "error_desc") && !has(raw, "error_msg"):
		rep := &Report{Shape: ShapeAdsItem}
		_, err := DecodeAdsResults(json.RawMessage("["+string(bytes.TrimSpace(body))+"]"), false)
		if ae, ok := err.(AdsErrors); ok {
			for _, e := range ae {
				rep.Errors = append(rep.Errors, e)
			}
		}
		return rep, nil
	case has(raw, "access_token") || has(raw, "expires_in"):
		return &Report{Shape: ShapeOAuth}, nil
	case hasAny(raw, uploadFileFields...) && (has(raw, "server") || has(raw, "hash") || has(raw, "file")):
		out, err := DecodeUpload(body)
		return report(ShapeUpload, out, err)
	}
	return nil, &FormatError{Reason: "no key of any VK answer (response, error, failed, ...)", Snippet: RedactedSnippet(body)}
}

func report(shape Shape, resp json.RawMessage, err error) (*Report, error) {
	rep := &Report{Shape: shape, Response: resp}
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			return nil, fe
		}
		rep.Errors = []error{err}
	}
	return rep, nil
}

func has(raw map[string]json.RawMessage, key string) bool {
	_, ok := raw[key]
	return ok
}

func hasAny(raw map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if has(raw, k) {
			return true
		}
	}
	return false
}

func isString(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && t[0] == '"'
}

// isOAuthError: {"error":"<type>"} with a description, a reason or a type VK
// is known to send; a bare unknown string is an upload server's error.
func isOAuthError(raw map[string]json.RawMessage) bool {
	v, ok := raw["error"]
	if !ok || !isString(v) {
		return false
	}
	if has(raw, "error_description") || has(raw, "error_reason") {
		return true
	}
	s, _, _ := flexString(v)
	return IsOAuthErrorType(s)
}

// isUploadErrorObject: {"error":{"error_code":N,"type":"..."}} (story
// upload), told apart from an API error by its type and lack of error_msg.
func isUploadErrorObject(raw map[string]json.RawMessage) bool {
	v, ok := raw["error"]
	if !ok {
		return false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil || obj == nil {
		return false
	}
	return has(obj, "type") && !has(obj, "error_msg")
}
