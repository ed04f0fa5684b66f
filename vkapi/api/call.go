package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkobject"
)

// The helpers every generated method shares: a typed call is a
// vkapi.Client.Call with the params encoded from a struct and the response
// decoded into a generated type, nothing else.

// MissingParamError is the error of a call whose required parameter is
// unset: no request was sent.
type MissingParamError struct {
	Method string // "users.get"
	Param  string // the parameter's schema name, such as "user_id"
}

func (e *MissingParamError) Error() string {
	return "api: " + e.Method + ": the required parameter " + e.Param + " is not set (no request was sent)"
}

func call[R any](ctx context.Context, c *vkapi.Client, method string, q vkapi.Params, err error) (*R, error) {
	if err != nil {
		return nil, err
	}
	r := new(R)
	if err := c.Call(ctx, method, q, r); err != nil {
		return nil, err
	}
	return r, nil
}

// callExtended calls method with extended=1.
func callExtended[R any](ctx context.Context, c *vkapi.Client, method string, q vkapi.Params, err error) (*R, error) {
	if err == nil {
		q["extended"] = 1
	}
	return call[R](ctx, c, method, q, err)
}

// finish adds extra to q and checks that every required parameter is set.
func finish(q, extra vkapi.Params, method string, required ...string) (vkapi.Params, error) {
	for k, v := range extra {
		q[k] = v
	}
	for _, name := range required {
		if q[name] == nil {
			return nil, &MissingParamError{Method: method, Param: name}
		}
	}
	return q, nil
}

// decode decodes a response tolerantly into v and keeps its bytes in raw.
// It is called from UnmarshalJSON, with JSON encoding/json has checked:
// a v that decodes itself (a List, an Int) gets b at once, without a
// second pass of json.Unmarshal over it.
func decode(b []byte, v any, raw *json.RawMessage) error {
	var err error
	if u, ok := v.(json.Unmarshaler); ok {
		err = u.UnmarshalJSON(b)
	} else {
		err = vkobject.Unmarshal(b, v)
	}
	if err != nil {
		return err
	}
	*raw = append((*raw)[:0], b...)
	return nil
}

func joinInts[T ~int64](s []T) string {
	b := make([]byte, 0, 8*len(s))
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return string(b)
}

func joinStrings[T ~string](s []T) string {
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(v))
	}
	return b.String()
}
