// Package core holds what vkmock's rooms share: a parsed API call
// (Request) and its parameters, the signature of a method's handler
// (Handler), the token it was made with (Token, App, Caller), the captcha
// a request answers (CaptchaInfo), the mock's clock (Clock), the messages
// of VK's errors (Messages), the writers of answers (WriteJSON,
// WriteBody, ResetConn, WriteHTML), a wait that ends with the request or
// the server (Sleep), a community's Long Poll settings and the events
// emitted (spoken of by both the world and Bots Long Poll), seeded hashes,
// JSON strings, API versions, the a_check wait, the error of a request
// after Close, and the error of a value out of its range (FieldError).
package core

import (
	"errors"
	"fmt"
)

// ErrClosed is the error of what is asked of a mock after Close.
var ErrClosed = errors.New("vkmock: the server is closed")

// FieldError is a value out of its range in a control request or a
// configuration: the control API answers it as 400 with {"error": ...,
// "field": ...}.
type FieldError struct {
	Field string // the JSON name, dotted for a nested field
	Msg   string // what the value must be, with its range
}

func (e *FieldError) Error() string { return "vkmock: " + e.Field + " " + e.Msg }

// FieldErr makes a FieldError.
func FieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
