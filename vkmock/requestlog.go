package vkmock

import (
	"sync"
	"time"

	"github.com/vkerr/vkerr"
)

// RequestParam is a parameter of a logged request.
type RequestParam struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// RequestRecord is one VK request in the request log. It never holds a
// secret: the token is left out (TokenKind says which kind it was), and
// the values of secret parameters (captcha_key, success_token, sig, ...)
// and anything shaped like a token are masked.
type RequestRecord struct {
	Time       time.Time      `json:"time"`
	HTTPMethod string         `json:"http_method"`
	Method     string         `json:"method"`
	TokenKind  TokenKind      `json:"token_kind,omitempty"`
	Params     []RequestParam `json:"params"`
	// ErrorCode is the VK error answered, nil for a response (or an
	// answer that was not a VK envelope: see HTTPStatus and Effect).
	ErrorCode *vkerr.Code `json:"error_code"`
	// HTTPStatus is the status sent; 0 when none was (reset, canceled).
	HTTPStatus int    `json:"http_status"`
	Fault      string `json:"fault,omitempty"`  // id of the fault rule that fired
	Effect     string `json:"effect,omitempty"` // "reset", "truncate", "canceled"
}

// requestLog is a bounded log: the oldest records are dropped.
type requestLog struct {
	mu   sync.Mutex
	recs []RequestRecord
	head int // index of the oldest when full
	size int
}

func (l *requestLog) init(size int) { l.size = size }

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recs) < l.size {
		l.recs = append(l.recs, r)
		return
	}
	l.recs[l.head] = r
	l.head = (l.head + 1) % l.size
}

func (l *requestLog) snapshot() []RequestRecord {
	l.mu.Lock()
	out := make([]RequestRecord, 0, len(l.recs))
	out = append(out, l.recs[l.head:]...)
	out = append(out, l.recs[:l.head]...)
	l.mu.Unlock()
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.recs, l.head = nil, 0
	l.mu.Unlock()
}

// Requests returns the request log, oldest first. Values are passed
// through vkerr.RedactString, so a token pasted into any parameter is
// masked too.
func (s *Server) Requests() []RequestRecord {
	recs := s.log.snapshot()
	for i := range recs {
		ps := make([]RequestParam, len(recs[i].Params))
		for j, p := range recs[i].Params {
			ps[j] = RequestParam{Key: vkerr.RedactString(p.Key), Value: vkerr.RedactString(p.Value)}
		}
		recs[i].Params = ps
		recs[i].Method = vkerr.RedactString(recs[i].Method)
	}
	return recs
}
