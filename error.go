package vkerr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Error is an error object of the VK API, as sent in {"error": {...}} or as a
// member of execute_errors. It holds every field the API sends; fields it
// does not know are kept raw in Extra, so decoding and encoding an error
// gives back the same JSON (with secrets redacted).
//
// errors.Is(err, target) matches an *Error against a Code, a Subcode, a
// Category sentinel or another *Error with the same code and subcode; it
// compares one level, never unwraps.
type Error struct {
	Code    Code    // error_code
	Subcode Subcode // error_subcode, 0 when absent
	Message string  // error_msg, as the server sent it
	Text    string  // error_text: a localized message meant for the user
	// RequestParams echoes the request; nil when the server left it out.
	RequestParams RequestParams

	CaptchaSID     string // captcha_sid (14)
	CaptchaImg     string // captcha_img (14)
	CaptchaTS      string // captcha_ts (14); sent as a string or a number
	CaptchaAttempt int    // captcha_attempt (14)
	// RedirectURI is the page a person must open: validation (17) or the
	// VK ID captcha flow (14).
	RedirectURI string
	// RemixStlid is the remixstlid of the VK ID captcha flow (14), a 64-bit
	// integer kept without loss of precision.
	RemixStlid       int64
	ConfirmationText string   // confirmation_text (24)
	BanInfo          *BanInfo // ban_info (5, user blocked)
	// Method is the method of an execute_errors member; empty otherwise.
	Method string

	// Extra holds fields the catalogue does not know, raw.
	Extra map[string]json.RawMessage

	captchaTSNumber bool // captcha_ts was a JSON number
}

// BanInfo is the ban_info object of error 5 for a blocked user.
type BanInfo struct {
	MemberName  string
	Message     string
	AccessToken string // a secret: always redacted on output
	Extra       map[string]json.RawMessage
}

// Info returns the catalogue entry of the error's code.
func (e *Error) Info() Info { return e.Code.Info() }

// Category returns the category of the error's code.
func (e *Error) Category() Category { return e.Code.Category() }

// Retry returns the catalogue's retry advice for the error's code.
func (e *Error) Retry() Retry { return e.Code.Retry() }

// Temporary reports whether time alone may make the request succeed.
func (e *Error) Temporary() bool {
	c := e.Category()
	return c == CategoryTransient || c == CategoryRateLimit
}

// Error returns the code, then VK's message as sent, such as
// "vk: error 14: Captcha needed" or, for an execute member,
// "vk: video.get: error 15, subcode 1133: Access denied". The code comes
// first because VK's messages carry numbers of their own ("User
// authorization failed: invalid access_token (4)."). Secrets are redacted.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vk: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(": ")
	}
	b.WriteString("error ")
	b.WriteString(strconv.Itoa(int(e.Code)))
	if e.Subcode != 0 {
		b.WriteString(", subcode ")
		b.WriteString(strconv.Itoa(int(e.Subcode)))
	}
	b.WriteString(": ")
	msg := e.Message
	if msg == "" {
		msg = e.Code.Info().MessageEN
	}
	b.WriteString(RedactString(msg))
	return b.String()
}

// Is reports whether target is the error's code, subcode or category, or an
// *Error with the same code and subcode.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case Subcode:
		return t != 0 && e.Subcode == t
	case Category:
		return e.Category() == t
	case *Error:
		return t != nil && e.Code == t.Code && (t.Subcode == 0 || e.Subcode == t.Subcode)
	}
	return false
}

// Format implements fmt.Formatter: %v and %s print Error(); %+v adds every
// field the server sent, one per line, secrets redacted.
func (e *Error) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprint(f, e.Error())
		info := e.Code.Info()
		fmt.Fprintf(f, "\n\tname: %s\n\tcategory: %s\n\tretry: %s", info.Name, info.Category, info.Retry)
		field := func(name, v string) {
			if v != "" {
				fmt.Fprintf(f, "\n\t%s: %s", name, RedactString(v))
			}
		}
		field("error_text", e.Text)
		field("captcha_sid", e.CaptchaSID)
		field("captcha_img", e.CaptchaImg)
		field("captcha_ts", e.CaptchaTS)
		if e.CaptchaAttempt != 0 {
			field("captcha_attempt", strconv.Itoa(e.CaptchaAttempt))
		}
		field("redirect_uri", e.RedirectURI)
		if e.RemixStlid != 0 {
			field("remixstlid", strconv.FormatInt(e.RemixStlid, 10))
		}
		field("confirmation_text", e.ConfirmationText)
		if e.BanInfo != nil {
			field("ban_info", fmt.Sprintf("member_name=%q message=%q", RedactString(e.BanInfo.MemberName), RedactString(e.BanInfo.Message)))
		}
		if e.RequestParams != nil {
			field("request_params", e.RequestParams.String())
		}
		for _, k := range slices.Sorted(maps.Keys(e.Extra)) {
			fmt.Fprintf(f, "\n\t%s: %s", RedactString(k), redactExtra(k, e.Extra[k]))
		}
		field("remedy", info.RemedyEN)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, e.GoString())
	default:
		fmt.Fprint(f, e.Error())
	}
}

// GoString implements fmt.GoStringer for %#v: the message and the code,
// secrets redacted, as Go syntax.
func (e *Error) GoString() string {
	if e == nil {
		return "(*vkerr.Error)(nil)"
	}
	return "&vkerr.Error{Code:" + strconv.Itoa(int(e.Code)) + ", Subcode:" + strconv.Itoa(int(e.Subcode)) +
		", Method:" + strconv.Quote(RedactString(e.Method)) + ", Message:" + strconv.Quote(RedactString(e.Message)) + "}"
}

// redactExtra returns a raw field kept in Extra as redacted JSON text.
func redactExtra(name string, v json.RawMessage) string {
	if IsSecretParam(name) {
		return `"` + Redacted + `"`
	}
	return string(RedactJSON(v))
}

// LogValue implements slog.LogValuer: the error as a group of attributes,
// secrets redacted.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int("code", int(e.Code)),
		slog.String("name", e.Code.Info().Name),
		slog.String("category", e.Category().String()),
		slog.String("msg", RedactString(e.Message)),
	}
	if e.Subcode != 0 {
		attrs = append(attrs, slog.Int("subcode", int(e.Subcode)))
	}
	if e.Method != "" {
		attrs = append(attrs, slog.String("method", RedactString(e.Method)))
	}
	if e.CaptchaSID != "" {
		attrs = append(attrs, slog.String("captcha_sid", RedactString(e.CaptchaSID)))
	}
	if e.RedirectURI != "" {
		attrs = append(attrs, slog.String("redirect_uri", RedactString(e.RedirectURI)))
	}
	if e.RequestParams != nil {
		attrs = append(attrs, slog.String("request_params", e.RequestParams.String()))
	}
	return slog.GroupValue(attrs...)
}

// wireError lists the known fields in the order VK sends them.
type wireError struct {
	Code             Code            `json:"error_code"`
	Subcode          Subcode         `json:"error_subcode,omitempty"`
	Method           string          `json:"method,omitempty"`
	Message          *string         `json:"error_msg,omitempty"`
	Text             string          `json:"error_text,omitempty"`
	RequestParams    RequestParams   `json:"request_params,omitempty"`
	CaptchaSID       string          `json:"captcha_sid,omitempty"`
	CaptchaImg       string          `json:"captcha_img,omitempty"`
	CaptchaTS        json.RawMessage `json:"captcha_ts,omitempty"`
	CaptchaAttempt   int             `json:"captcha_attempt,omitempty"`
	RedirectURI      string          `json:"redirect_uri,omitempty"`
	RemixStlid       int64           `json:"remixstlid,omitempty"`
	ConfirmationText string          `json:"confirmation_text,omitempty"`
	BanInfo          *BanInfo        `json:"ban_info,omitempty"`
}

var errorFields = map[string]bool{
	"error_code": true, "error_subcode": true, "method": true, "error_msg": true, "error_text": true,
	"request_params": true, "captcha_sid": true, "captcha_img": true, "captcha_ts": true,
	"captcha_attempt": true, "redirect_uri": true, "remixstlid": true, "confirmation_text": true, "ban_info": true,
}

// MarshalJSON encodes the error as VK does, known fields first in VK's order,
// then the fields kept in Extra. Secrets are redacted in every field, as
// %+v redacts them; see MarshalWire for the unredacted form a server sends.
func (e *Error) MarshalJSON() ([]byte, error) { return e.marshal(true) }

// MarshalWire encodes the error as a server sends it: as MarshalJSON, but
// only the values of secret request_params are redacted, so that
// captcha_img, redirect_uri and the other fields keep the ids a client needs
// to answer a challenge. It is for servers such as vkmock; never log it.
func (e *Error) MarshalWire() ([]byte, error) { return e.marshal(false) }

func (e *Error) marshal(redact bool) ([]byte, error) {
	r := RedactString
	if !redact {
		r = func(s string) string { return s }
	}
	w := wireError{
		Code: e.Code, Subcode: e.Subcode, Method: r(e.Method), Text: r(e.Text),
		RequestParams: e.RequestParams, CaptchaSID: r(e.CaptchaSID), CaptchaImg: r(e.CaptchaImg),
		CaptchaAttempt: e.CaptchaAttempt, RedirectURI: r(e.RedirectURI), RemixStlid: e.RemixStlid,
		ConfirmationText: r(e.ConfirmationText), BanInfo: e.BanInfo,
	}
	msg := e.Message
	if msg == "" {
		msg = e.Code.Info().MessageEN
	}
	msg = r(msg)
	w.Message = &msg
	if e.CaptchaTS != "" {
		if e.captchaTSNumber && json.Valid([]byte(e.CaptchaTS)) {
			w.CaptchaTS = json.RawMessage(e.CaptchaTS)
		} else {
			w.CaptchaTS, _ = json.Marshal(r(e.CaptchaTS))
		}
	}
	if !redact && e.BanInfo != nil {
		w.BanInfo = nil
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	if !redact {
		if e.BanInfo != nil {
			bi, err := e.BanInfo.marshal(false)
			if err != nil {
				return nil, err
			}
			b = append(append(append(b[:len(b)-1], `,"ban_info":`...), bi...), '}')
		}
		return appendRawExtra(b, e.Extra)
	}
	return appendExtra(b, e.Extra)
}

// appendRawExtra adds the raw fields of extra, sorted by key, unredacted.
func appendRawExtra(b []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return b, nil
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		v := extra[k]
		if !json.Valid(v) {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// appendExtra adds the raw fields of extra (sorted by key, secrets redacted)
// to the JSON object b.
func appendExtra(b []byte, extra map[string]json.RawMessage) ([]byte, error) {
	if len(extra) == 0 {
		return b, nil
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for _, k := range keys {
		v := extra[k]
		if !json.Valid(v) {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(RedactString(k))
		buf.Write(kb)
		buf.WriteByte(':')
		buf.WriteString(redactExtra(k, v))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes an error object. It tolerates absent fields, numbers
// sent as strings and strings sent as numbers, and keeps unknown fields.
func (e *Error) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("vkerr: error object is null")
	}
	*e = Error{}
	var errs []error
	num := func(name string, dst *int64) {
		if v, ok := raw[name]; ok {
			n, err := flexInt(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = n
		}
	}
	str := func(name string, dst *string) {
		if v, ok := raw[name]; ok {
			s, _, err := flexString(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			*dst = s
		}
	}
	var code, sub, attempt int64
	num("error_code", &code)
	num("error_subcode", &sub)
	num("captcha_attempt", &attempt)
	num("remixstlid", &e.RemixStlid)
	e.Code, e.Subcode, e.CaptchaAttempt = Code(code), Subcode(sub), int(attempt)
	str("error_msg", &e.Message)
	str("error_text", &e.Text)
	str("method", &e.Method)
	str("captcha_sid", &e.CaptchaSID)
	str("captcha_img", &e.CaptchaImg)
	str("redirect_uri", &e.RedirectURI)
	str("confirmation_text", &e.ConfirmationText)
	if v, ok := raw["captcha_ts"]; ok {
		s, isNum, err := flexString(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("captcha_ts: %w", err))
		}
		e.CaptchaTS, e.captchaTSNumber = s, isNum
	}
	if v, ok := raw["request_params"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &e.RequestParams); err != nil {
			errs = append(errs, fmt.Errorf("request_params: %w", err))
		}
	}
	if v, ok := raw["ban_info"]; ok && !isNull(v) {
		e.BanInfo = new(BanInfo)
		if err := json.Unmarshal(v, e.BanInfo); err != nil {
			errs = append(errs, fmt.Errorf("ban_info: %w", err))
		}
	}
	for k, v := range raw {
		if !errorFields[k] {
			if e.Extra == nil {
				e.Extra = make(map[string]json.RawMessage)
			}
			e.Extra[k] = v
		}
	}
	if _, ok := raw["error_code"]; !ok {
		errs = append(errs, fmt.Errorf("no error_code"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("vkerr: decoding error object: %w", errs[0])
	}
	return nil
}

// MarshalJSON encodes ban_info with its access_token redacted.
func (b *BanInfo) MarshalJSON() ([]byte, error) { return b.marshal(true) }

func (b *BanInfo) marshal(redact bool) ([]byte, error) {
	type wire struct {
		MemberName  string `json:"member_name,omitempty"`
		Message     string `json:"message,omitempty"`
		AccessToken string `json:"access_token,omitempty"`
	}
	if !redact {
		out, err := json.Marshal(wire{b.MemberName, b.Message, b.AccessToken})
		if err != nil {
			return nil, err
		}
		return appendRawExtra(out, b.Extra)
	}
	w := wire{MemberName: RedactString(b.MemberName), Message: RedactString(b.Message)}
	if b.AccessToken != "" {
		w.AccessToken = Redacted
	}
	out, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return appendExtra(out, b.Extra)
}

// UnmarshalJSON decodes ban_info, keeping unknown fields.
func (b *BanInfo) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*b = BanInfo{}
	for k, v := range raw {
		var dst *string
		switch k {
		case "member_name":
			dst = &b.MemberName
		case "message":
			dst = &b.Message
		case "access_token":
			dst = &b.AccessToken
		default:
			if b.Extra == nil {
				b.Extra = make(map[string]json.RawMessage)
			}
			b.Extra[k] = v
			continue
		}
		s, _, err := flexString(v)
		if err != nil {
			return fmt.Errorf("ban_info.%s: %w", k, err)
		}
		*dst = s
	}
	return nil
}
