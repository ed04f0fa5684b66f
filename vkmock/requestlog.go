package vkmock

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
)

// RequestParam is a parameter of a logged request.
type RequestParam struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	// Len is the length in bytes of the value sent when Value holds only
	// its beginning (see Limits.LogValueBytes); 0 when Value is whole.
	Len int `json:"len,omitempty"`
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

// maxLoggedParams bounds the parameters kept per record.
const maxLoggedParams = 200

// recordOverhead is the estimated cost in bytes of a record, and of each
// of its parameters, besides their strings.
const (
	recordOverhead = 160
	paramOverhead  = 40
)

// size estimates the bytes a record keeps alive.
func (r *RequestRecord) size() int64 {
	n := recordOverhead + len(r.Method) + len(r.HTTPMethod) + len(r.Fault) + len(r.Effect)
	for _, p := range r.Params {
		n += paramOverhead + len(p.Key) + len(p.Value)
	}
	return int64(n)
}

// requestLog is the request log, bounded by count and by bytes: the oldest
// records are evicted first. Records are stored redacted and cut, as
// copies that share no memory with the requests.
type requestLog struct {
	mu   sync.Mutex
	recs fifo[RequestRecord]
}

func (l *requestLog) init(count int, bytes int64) { l.recs = newFIFO[RequestRecord](count, bytes) }

func (l *requestLog) add(r RequestRecord) {
	n := r.size()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > l.recs.maxBytes {
		// A record larger than the whole log keeps its head only.
		r.Params = nil
		n = r.size()
	}
	l.recs.add(r, n, nil)
}

// stats returns the number of records and their estimated bytes.
func (l *requestLog) stats() (int, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recs.len(), l.recs.bytes
}

func (l *requestLog) snapshot() []RequestRecord {
	l.mu.Lock()
	out := append([]RequestRecord(nil), l.recs.all()...)
	l.mu.Unlock()
	// The stored records are never changed; give out copies of the
	// parameter lists all the same, so callers cannot change the log.
	for i := range out {
		out[i].Params = append([]RequestParam(nil), out[i].Params...)
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.recs.reset()
	l.mu.Unlock()
}

// Requests returns the request log, oldest first. Values were passed
// through vkerr.RedactString when stored, so a token pasted into any
// parameter is masked too, and cut to Limits.LogValueBytes.
func (s *Server) Requests() []RequestRecord { return s.log.snapshot() }

// logString is what the request log keeps of a key or value: valid UTF-8,
// redacted, at most limit bytes (then with the length of v), and a copy
// that does not keep the request's body alive.
//
// A long value is cut before it is redacted, since redacting megabytes on
// every request costs seconds. The cut must leave no piece of a secret
// that redaction no longer recognises: the patterns with a prefix
// (vk1.a., key=, bearer) still match a cut secret, a run of hex digits at
// the cut (a legacy key needs 64 to be recognised) is dropped, and an open
// JSON string is closed so that "captcha_key":"... matches.
func logString(v string, limit int) (string, int) {
	if len(v) <= limit {
		return strings.Clone(vkerr.RedactString(strings.ToValidUTF8(v, "\uFFFD"))), 0
	}
	i := limit
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(v[i]); j++ {
		i-- // do not split a character
	}
	cut := v[:i]
	if h := strings.TrimRightFunc(cut, isHexDigit); len(h) == 0 || !isWordChar(h[len(h)-1]) {
		cut = h // a hex run from a word boundary: maybe a legacy key
	}
	if t := strings.TrimRight(cut, `\`); (len(cut)-len(t))%2 == 1 {
		cut = cut[:len(cut)-1] // a lone backslash would escape the quote
	}
	red := vkerr.RedactString(strings.ToValidUTF8(cut, "\uFFFD") + `"`)
	red = strings.TrimSuffix(red, `"`)
	if len(red) > limit {
		red = strings.ToValidUTF8(red[:limit], "")
	}
	return strings.Clone(red), len(v)
}

func isHexDigit(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' }

func isWordChar(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}

// recordParams is what the log keeps of a request's parameters: the first
// maxLoggedParams but the token, secrets masked, cut to limit bytes.
func recordParams(params []kv, limit int) []RequestParam {
	n := min(len(params), maxLoggedParams)
	out := make([]RequestParam, 0, n)
	for _, p := range params[:n] {
		if p.key == "access_token" {
			continue
		}
		key, _ := logString(p.key, limit)
		rp := RequestParam{Key: key}
		if vkerr.IsSecretParam(p.key) {
			rp.Value = vkerr.Redacted
		} else {
			rp.Value, rp.Len = logString(p.value, limit)
		}
		out = append(out, rp)
	}
	return out
}
