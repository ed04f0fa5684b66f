package vkerr

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// UploadError is a failure reported by an upload server (the upload_url of a
// *.get*UploadServer method). Upload servers have no common error shape; the
// Shape field says which one was seen:
//
//	"docs":      {"error":"<string>"}
//	"video":     {"error_code":N,"error_descr":"...","error_is_logged":bool}
//	"story":     {"error":{"error_code":N,"type":"..."}}
//	"lead_form": {"errcode":N}
//	"empty":     a success body whose file field is empty, e.g. "photo":"[]";
//	             the following *.save call would fail.
//
// Its category is that of error 22 (Upload error) unless the code it carries
// is a known API code.
type UploadError struct {
	Shape   string // docs, video, story, lead_form or empty
	Code    int    // error_code or errcode, 0 when the shape has none
	Message string // error, error_descr, or the story error's type
	Logged  bool   // error_is_logged (video)
	Field   string // the empty field of an "empty" success
}

// Error describes the upload failure.
func (e *UploadError) Error() string {
	s := "vk: upload failed (" + e.Shape + ")"
	if e.Code != 0 {
		s += ": code " + strconv.Itoa(e.Code)
	}
	if e.Message != "" {
		s += ": " + RedactString(e.Message)
	}
	if e.Field != "" {
		s += ": empty " + e.Field
	}
	return s
}

// Category returns the category of the carried code when the catalogue
// knows it, else that of error 22 (Upload).
func (e *UploadError) Category() Category {
	if e.Code != 0 && Code(e.Code).Known() {
		return Code(e.Code).Category()
	}
	return Upload.Category()
}

// Is matches the error's category and the Upload code.
func (e *UploadError) Is(target error) bool {
	switch t := target.(type) {
	case Category:
		return e.Category() == t
	case Code:
		return t == Upload || (e.Code != 0 && Code(e.Code) == t)
	}
	return false
}

// uploadFileFields are the fields that carry the uploaded file in upload
// server answers.
var uploadFileFields = []string{"photo", "photos_list", "file", "audio", "video", "doc"}

// DecodeUpload decodes the body an upload server returned. On success it
// returns the JSON to pass to the *.save method (unwrapped from
// {"response":...} when wrapped). A failure is an *UploadError, an API
// *Error, or an *HTTPError / *FormatError for a body that is not JSON.
func DecodeUpload(body []byte) (json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, classifyJunk(body)
	}
	if raw == nil {
		return nil, &FormatError{Reason: "upload answer is null"}
	}
	if err := uploadFailure(raw); err != nil {
		return nil, err
	}
	out := json.RawMessage(bytes.TrimSpace(body))
	if r, ok := raw["response"]; ok {
		if err := json.Unmarshal(r, &raw); err != nil || raw == nil {
			return r, nil
		}
		out = r
	}
	for _, f := range uploadFileFields {
		if v, ok := raw[f]; ok {
			s, _, _ := flexString(v)
			t := strings.TrimSpace(s)
			if isNull(v) || t == "" || t == "[]" || t == "{}" {
				return nil, &UploadError{Shape: "empty", Field: f}
			}
		}
	}
	return out, nil
}

// uploadFailure recognises the error shapes of upload servers in a decoded
// object; it returns nil when the object is not one of them.
func uploadFailure(raw map[string]json.RawMessage) error {
	if v, ok := raw["errcode"]; ok {
		n, _ := flexInt(v)
		return &UploadError{Shape: "lead_form", Code: int(n)}
	}
	if v, ok := raw["error_descr"]; ok {
		e := &UploadError{Shape: "video"}
		e.Message, _, _ = flexString(v)
		if c, ok := raw["error_code"]; ok {
			n, _ := flexInt(c)
			e.Code = int(n)
		}
		if l, ok := raw["error_is_logged"]; ok {
			_ = json.Unmarshal(l, &e.Logged)
		}
		return e
	}
	v, ok := raw["error"]
	if !ok {
		return nil
	}
	t := bytes.TrimSpace(v)
	if len(t) > 0 && t[0] == '"' {
		e := &UploadError{Shape: "docs"}
		e.Message, _, _ = flexString(v)
		return e
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
		return &UploadError{Shape: "docs", Message: string(t)}
	}
	if _, isAPI := obj["error_msg"]; !isAPI {
		if typ, ok := obj["type"]; ok {
			e := &UploadError{Shape: "story"}
			e.Message, _, _ = flexString(typ)
			n, _ := flexInt(obj["error_code"])
			e.Code = int(n)
			return e
		}
	}
	apiErr := new(Error)
	if err := json.Unmarshal(v, apiErr); err != nil {
		return &UploadError{Shape: "story", Message: string(t)}
	}
	return apiErr
}
