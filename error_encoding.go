package vkerr

import (
	"encoding/json"
	"strconv"
)

// JSON and Go-syntax (%#v) forms of the error types other than *Error, with
// secrets redacted as in their Error text: json.Marshal and %#v would
// otherwise print their fields raw.

// MarshalJSON encodes the item as {"index":I,"error_code":N,"error_desc":D},
// secrets redacted.
func (e *AdsError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Index int    `json:"index"`
		Code  Code   `json:"error_code"`
		Desc  string `json:"error_desc,omitempty"`
	}{e.Index, e.Code, RedactString(e.Desc)})
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *AdsError) GoString() string {
	return "&vkerr.AdsError{Index:" + strconv.Itoa(e.Index) + ", Code:" + strconv.Itoa(int(e.Code)) +
		", Desc:" + strconv.Quote(RedactString(e.Desc)) + "}"
}

// MarshalJSON encodes the failure, secrets redacted.
func (e *UploadError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Shape   string `json:"shape"`
		Code    int    `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
		Logged  bool   `json:"logged,omitempty"`
		Field   string `json:"field,omitempty"`
	}{e.Shape, e.Code, RedactString(e.Message), e.Logged, RedactString(e.Field)})
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *UploadError) GoString() string {
	return "&vkerr.UploadError{Shape:" + strconv.Quote(e.Shape) + ", Code:" + strconv.Itoa(e.Code) +
		", Message:" + strconv.Quote(RedactString(e.Message)) + ", Logged:" + strconv.FormatBool(e.Logged) +
		", Field:" + strconv.Quote(RedactString(e.Field)) + "}"
}

// MarshalJSON encodes the failure as the Long Poll server sent it, secrets
// redacted.
func (e *LongPollError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Failed     int    `json:"failed"`
		TS         string `json:"ts,omitempty"`
		MinVersion int    `json:"min_version,omitempty"`
		MaxVersion int    `json:"max_version,omitempty"`
		Message    string `json:"error,omitempty"`
	}{e.Failed, RedactString(e.TS), e.MinVersion, e.MaxVersion, RedactString(e.Message)})
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *LongPollError) GoString() string {
	return "&vkerr.LongPollError{Failed:" + strconv.Itoa(e.Failed) + ", TS:" + strconv.Quote(RedactString(e.TS)) +
		", MinVersion:" + strconv.Itoa(e.MinVersion) + ", MaxVersion:" + strconv.Itoa(e.MaxVersion) +
		", Message:" + strconv.Quote(RedactString(e.Message)) + "}"
}

// MarshalJSON encodes the failure, secrets redacted.
func (e *HTTPError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		StatusCode  int    `json:"status_code"`
		ContentType string `json:"content_type,omitempty"`
		Reason      string `json:"reason,omitempty"`
		Snippet     string `json:"snippet,omitempty"`
	}{e.StatusCode, RedactString(e.ContentType), RedactString(e.Reason), RedactString(e.Snippet)})
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *HTTPError) GoString() string {
	return "&vkerr.HTTPError{StatusCode:" + strconv.Itoa(e.StatusCode) + ", ContentType:" + strconv.Quote(RedactString(e.ContentType)) +
		", Reason:" + strconv.Quote(RedactString(e.Reason)) + ", Snippet:" + strconv.Quote(RedactString(e.Snippet)) + "}"
}

// MarshalJSON encodes the failure, secrets redacted.
func (e *FormatError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Reason  string `json:"reason"`
		Snippet string `json:"snippet,omitempty"`
	}{RedactString(e.Reason), RedactString(e.Snippet)})
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *FormatError) GoString() string {
	return "&vkerr.FormatError{Reason:" + strconv.Quote(RedactString(e.Reason)) + ", Snippet:" + strconv.Quote(RedactString(e.Snippet)) + "}"
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (e *OAuthError) GoString() string {
	b, _ := e.MarshalJSON()
	return "&vkerr.OAuthError" + string(b)
}

// GoString implements fmt.GoStringer for %#v, secrets redacted.
func (b *BanInfo) GoString() string {
	j, _ := b.MarshalJSON()
	return "&vkerr.BanInfo" + string(j)
}
