package vkmock

// The Go control API, grouped by what it controls: s.LongPoll().Expire(g),
// s.Callback().Deliveries(), s.Faults().Add(f). Each handle is a small
// value bound to its Server; the zero value is not usable.

// TokenControl manages the tokens and apps (see Tokens).
type TokenControl struct{ s *Server }

// ChallengeControl manages the challenge rules, the challenges raised on
// tokens, captchas and validations (see Challenges).
type ChallengeControl struct{ s *Server }

// ClockControl moves the mock's clock (see Clock).
type ClockControl struct{ s *Server }

// ProcedureControl manages the stored procedures of execute (see
// Procedures).
type ProcedureControl struct{ s *Server }

// FaultControl manages the fault rules (see Faults).
type FaultControl struct{ s *Server }

// LongPollControl manages Bots Long Poll and the world's events (see
// LongPoll).
type LongPollControl struct{ s *Server }

// UserLongPollControl manages User Long Poll (see UserLongPoll).
type UserLongPollControl struct{ s *Server }

// CallbackControl manages the Callback API sender (see Callback).
type CallbackControl struct{ s *Server }

// UploadControl reads and clears the upload servers' state (see Uploads).
type UploadControl struct{ s *Server }

// WorldControl manages the world: users, communities, albums, posts and
// messages, and what users do in it (see World).
type WorldControl struct{ s *Server }

// OAuthControl manages the OAuth room: apps, test accounts, the approval
// switch and what a direct authorization waits for (see OAuth).
type OAuthControl struct{ s *Server }

// StreamingControl manages the Streaming API: keys, events, service
// messages and connections (see Streaming).
type StreamingControl struct{ s *Server }

// RequestLogControl reads the request log (see Requests).
type RequestLogControl struct{ s *Server }

// Tokens controls the tokens and apps.
func (s *Server) Tokens() TokenControl { return TokenControl{s} }

// Challenges controls the challenge rules, token challenges, captchas and
// validations.
func (s *Server) Challenges() ChallengeControl { return ChallengeControl{s} }

// Clock controls the mock's clock.
func (s *Server) Clock() ClockControl { return ClockControl{s} }

// Procedures controls the stored procedures of execute.
func (s *Server) Procedures() ProcedureControl { return ProcedureControl{s} }

// Faults controls the fault rules.
func (s *Server) Faults() FaultControl { return FaultControl{s} }

// LongPoll controls Bots Long Poll and the world's events.
func (s *Server) LongPoll() LongPollControl { return LongPollControl{s} }

// UserLongPoll controls User Long Poll.
func (s *Server) UserLongPoll() UserLongPollControl { return UserLongPollControl{s} }

// Callback controls the Callback API sender.
func (s *Server) Callback() CallbackControl { return CallbackControl{s} }

// Uploads reads and clears the upload servers' state.
func (s *Server) Uploads() UploadControl { return UploadControl{s} }

// World controls the world.
func (s *Server) World() WorldControl { return WorldControl{s} }

// OAuth controls the OAuth room (oauth.go).
func (s *Server) OAuth() OAuthControl { return OAuthControl{s} }

// Streaming controls the Streaming API (streaming.go).
func (s *Server) Streaming() StreamingControl { return StreamingControl{s} }

// Requests reads the request log.
func (s *Server) Requests() RequestLogControl { return RequestLogControl{s} }
