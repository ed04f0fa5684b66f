package vkmock

import (
	"time"
)

// The mock's clock is the clock of WithClock (time.Now by default) moved by
// an offset that Clock().Set and Clock().Advance change. Rate windows (6), flood
// cooldowns (9), daily quotas (29), captcha_ts, message dates,
// utils.getServerTime and the request log all read it, so tests move time
// instead of sleeping.

// now is the mock's current time.
func (s *Server) now() time.Time { return s.clk.Now() }

// Now returns the mock's current time.
func (ctl ClockControl) Now() time.Time {
	return ctl.s.now()
}

// Set sets the mock's clock to t; it keeps running from there at the
// pace of the underlying clock.
func (ctl ClockControl) Set(t time.Time) {
	ctl.s.clk.Set(t)
}

// Advance moves the mock's clock forward by d (backward when d is
// negative).
func (ctl ClockControl) Advance(d time.Duration) {
	ctl.s.clk.Advance(d)
}

// ClockState is the answer of GET /__vkmock/clock.
type ClockState struct {
	Now      time.Time `json:"now"`
	Unix     int64     `json:"unix"`
	OffsetMS int64     `json:"offset_ms"`
}

func (s *Server) clockState() ClockState {
	n := s.now()
	return ClockState{Now: n, Unix: n.Unix(), OffsetMS: s.clk.Offset().Milliseconds()}
}

// clockChange is the body of POST /__vkmock/clock: one of now (RFC 3339),
// unix (seconds), advance (a Go duration such as "90s" or "24h") or
// advance_ms.
type clockChange struct {
	Now       *time.Time `json:"now"`
	Unix      *int64     `json:"unix"`
	Advance   string     `json:"advance"`
	AdvanceMS *int64     `json:"advance_ms"`
}
