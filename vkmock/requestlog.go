package vkmock

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
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
	Fault      string `json:"fault,omitempty"`  // ids of the fault rules that fired, in order, joined by commas
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
	recs fifo.FIFO[RequestRecord]
}

func (l *requestLog) init(count int, bytes int64) { l.recs = fifo.New[RequestRecord](count, bytes) }

func (l *requestLog) add(r RequestRecord) {
	n := r.size()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > l.recs.MaxBytes() {
		// A record larger than the whole log keeps its head only.
		r.Params = nil
		n = r.size()
	}
	l.recs.Add(r, n, nil)
}

// stats returns the number of records and their estimated bytes.
func (l *requestLog) stats() (int, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recs.Len(), l.recs.Bytes()
}

func (l *requestLog) snapshot() []RequestRecord {
	l.mu.Lock()
	out := append([]RequestRecord(nil), l.recs.All()...)
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
	l.recs.Reset()
	l.mu.Unlock()
}

// All returns the request log, oldest first. Values were passed
// through vkerr.RedactString when stored, so a token pasted into any
// parameter is masked too, and cut to Limits.LogValueBytes.
func (ctl RequestLogControl) All() []RequestRecord {
	s := ctl.s
	return s.log.snapshot()
}

// Of returns the logged requests to method, oldest first; an empty
// method means every request.
func (ctl RequestLogControl) Of(method string) []RequestRecord {
	s := ctl.s
	recs := s.log.snapshot()
	if method == "" {
		return recs
	}
	out := recs[:0]
	for _, r := range recs {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// Param returns the logged value of the request's first parameter named
// key (redacted and cut as stored), or "" when it has none.
func (r RequestRecord) Param(key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

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
	s, n := logView(v, limit)
	return strings.Clone(s), n
}

// logView is logString without the copy: the result may share v's bytes.
func logView(v string, limit int) (string, int) {
	if len(v) <= limit {
		return redact(strings.ToValidUTF8(v, "\uFFFD")), 0
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
	return red, len(v)
}

// redact is vkerr.RedactString, skipped for the many values that hold
// nothing its patterns match: no "=" (key=value), no quote (JSON), no
// "bearer", no "vk1.a." and no run of 64 hex digits. FuzzLogString checks
// that the two agree.
func redact(s string) string {
	if mayHoldSecret(s) {
		return vkerr.RedactString(s)
	}
	return s
}

func mayHoldSecret(s string) bool {
	hexRun := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=' || c == '"' || c == '%':
			return true
		case c == 'b' || c == 'B':
			if i+6 <= len(s) && strings.EqualFold(s[i:i+6], "bearer") {
				return true
			}
		case c == 'v':
			if strings.HasPrefix(s[i:], "vk1.a.") {
				return true
			}
		}
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' {
			if hexRun++; hexRun >= 64 {
				return true
			}
		} else {
			hexRun = 0
		}
	}
	return false
}

func isHexDigit(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' }

func isWordChar(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}

// recordParams is what the log keeps of a request's parameters: the first
// maxLoggedParams but the token, secrets masked, cut to limit bytes, all
// copied into one new string so that they share nothing with the request.
func recordParams(method string, params []kv, limit int) []RequestParam {
	n := min(len(params), maxLoggedParams)
	out := make([]RequestParam, 0, n)
	total := 0
	for _, p := range params[:n] {
		if p.key == "access_token" {
			continue
		}
		rp := RequestParam{}
		rp.Key, _ = logView(p.key, limit)
		if vkerr.IsSecretParamOf(method, p.key) {
			rp.Value = vkerr.Redacted
		} else {
			rp.Value, rp.Len = logView(p.value, limit)
		}
		total += len(rp.Key) + len(rp.Value)
		out = append(out, rp)
	}
	var b strings.Builder
	b.Grow(total)
	for i := range out {
		b.WriteString(out[i].Key)
		b.WriteString(out[i].Value)
	}
	all, off := b.String(), 0
	for i := range out {
		k, v := len(out[i].Key), len(out[i].Value)
		out[i].Key, out[i].Value = all[off:off+k], all[off+k:off+k+v]
		off += k + v
	}
	return out
}

// record logs a VK request and adds it to the request log.
func (s *Server) record(start time.Time, r *http.Request, q *vkRequest, out outcome) {
	rec := RequestRecord{
		Time:       start,
		HTTPMethod: r.Method,
		TokenKind:  out.tokenKind,
		HTTPStatus: out.status,
		Fault:      out.fault,
		Effect:     out.effect,
	}
	if out.code != 0 {
		c := out.code
		rec.ErrorCode = &c
	}
	rec.Method, _ = logString(q.name, s.limits.LogValueBytes)
	rec.Params = recordParams(rec.Method, q.params, s.limits.LogValueBytes)
	s.log.add(rec)
	if s.logger != nil {
		code := 0
		if rec.ErrorCode != nil {
			code = int(*rec.ErrorCode)
		}
		attrs := []slog.Attr{
			slog.String("http", r.Method),
			slog.String("method", rec.Method),
			slog.String("token", out.tokenKind.String()),
			slog.Int("status", out.status),
			slog.Int("error_code", code),
			slog.Duration("took", s.now().Sub(start)),
		}
		if out.fault != "" {
			attrs = append(attrs, slog.String("fault", out.fault))
		}
		if out.effect != "" {
			attrs = append(attrs, slog.String("effect", out.effect))
		}
		s.logger.LogAttrs(context.Background(), slog.LevelInfo, "vk request", attrs...)
	}
}
