package vkmock

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/reqlog"
)

// RequestRecord is one VK request in the request log (see reqlog.Record).
type RequestRecord = reqlog.Record

// RequestParam is a parameter of a logged request.
type RequestParam = reqlog.Param

// All returns the request log, oldest first. Values were passed
// through vkerr.RedactString when stored, so a token pasted into any
// parameter is masked too, and cut to Limits.LogValueBytes.
func (ctl RequestLogControl) All() []RequestRecord {
	s := ctl.s
	return s.log.Snapshot()
}

// Of returns the logged requests to method, oldest first; an empty
// method means every request.
func (ctl RequestLogControl) Of(method string) []RequestRecord {
	s := ctl.s
	recs := s.log.Snapshot()
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

// recordParams is what the log keeps of a request's parameters: the first
// reqlog.MaxParams but the token, secrets masked, cut to limit bytes, all
// copied into one new string so that they share nothing with the request.
func recordParams(method string, params []kv, limit int) []RequestParam {
	n := min(len(params), reqlog.MaxParams)
	out := make([]RequestParam, 0, n)
	total := 0
	for _, p := range params[:n] {
		if p.Key == "access_token" {
			continue
		}
		rp := RequestParam{}
		rp.Key, _ = reqlog.LogView(p.Key, limit)
		if vkerr.IsSecretParamOf(method, p.Key) {
			rp.Value = vkerr.Redacted
		} else {
			rp.Value, rp.Len = reqlog.LogView(p.Value, limit)
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
	rec.Method, _ = reqlog.LogString(q.Name, s.limits.LogValueBytes)
	rec.Params = recordParams(rec.Method, q.Params, s.limits.LogValueBytes)
	s.log.Add(rec)
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
