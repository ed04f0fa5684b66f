// Package core holds what vkmock's rooms share: the error of a value out
// of its range, and a wait that ends with its context.
package core

import (
	"context"
	"errors"
	"fmt"
	"time"
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

// Sleep waits for d or until ctx is done; it reports whether it waited
// the whole time.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
