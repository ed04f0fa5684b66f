// Package reqlog is vkmock's request log: records of the VK requests,
// redacted and cut when stored, in a store bounded by count and bytes.
package reqlog

import (
	"time"

	"github.com/vkerr/vkerr"
)

// Param is a parameter of a logged request.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Len is the length in bytes of the value sent when Value holds only
	// its beginning (see vkmock.Limits.LogValueBytes); 0 when Value is whole.
	Len int `json:"len,omitempty"`
}

// Record is one VK request in the request log. It never holds a
// secret: the token is left out (TokenKind says which kind it was), and
// the values of secret parameters (captcha_key, success_token, sig, ...)
// and anything shaped like a token are masked.
type Record struct {
	Time       time.Time       `json:"time"`
	HTTPMethod string          `json:"http_method"`
	Method     string          `json:"method"`
	TokenKind  vkerr.TokenKind `json:"token_kind,omitempty"`
	Params     []Param         `json:"params"`
	// ErrorCode is the VK error answered, nil for a response (or an
	// answer that was not a VK envelope: see HTTPStatus and Effect).
	ErrorCode *vkerr.Code `json:"error_code"`
	// HTTPStatus is the status sent; 0 when none was (reset, canceled).
	HTTPStatus int    `json:"http_status"`
	Fault      string `json:"fault,omitempty"`  // ids of the fault rules that fired, in order, joined by commas
	Effect     string `json:"effect,omitempty"` // "reset", "truncate", "canceled"
}

// MaxParams bounds the parameters kept per record.
const MaxParams = 200

// size estimates the bytes a record keeps alive.
func (r *Record) size() int64 {
	n := recordOverhead + len(r.Method) + len(r.HTTPMethod) + len(r.Fault) + len(r.Effect)
	for _, p := range r.Params {
		n += paramOverhead + len(p.Key) + len(p.Value)
	}
	return int64(n)
}

// Param returns the logged value of the request's first parameter named
// key (redacted and cut as stored), or "" when it has none.
func (r Record) Param(key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// recordOverhead is the estimated cost in bytes of a record, and of each
// of its parameters, besides their strings.
const (
	recordOverhead = 160
	paramOverhead  = 40
)
