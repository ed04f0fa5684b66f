package core

import "github.com/vkerr/vkerr"

// Messages gives the message VK sends with each error code: the schema's
// when it has one, else the catalogue's. The zero value gives the
// catalogue's.
type Messages struct {
	Schema map[vkerr.Code]string
}

// Of returns the message of c.
func (m Messages) Of(c vkerr.Code) string {
	if s, ok := m.Schema[c]; ok && s != "" {
		return s
	}
	return c.Info().MessageEN
}

// With returns error c with its message followed by ": " and detail, as
// VK words most of its errors ("One of the parameters specified was
// missing or invalid: group_id is invalid").
func (m Messages) With(c vkerr.Code, detail string) *vkerr.Error {
	return &vkerr.Error{Code: c, Message: m.Of(c) + ": " + detail}
}

// Param is error 100 with detail.
func (m Messages) Param(detail string) *vkerr.Error { return m.With(vkerr.Param, detail) }

// Request is error 8 with detail.
func (m Messages) Request(detail string) *vkerr.Error { return m.With(vkerr.Request, detail) }
