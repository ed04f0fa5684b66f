package vkmock

import (
	"fmt"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// Limits bounds every store of the mock by count and by bytes; when a
// store is full its oldest entries are evicted first. The zero value of a
// field means its default (the Default* constants); WithLimits, the
// configuration file and the flags of `vk mock` set them.
//
// The bytes of a store are counted as the bytes of its strings plus a
// fixed overhead per entry, an estimate of what it keeps alive.
type Limits struct {
	// RequestLogSize and RequestLogBytes bound the request log (default
	// 10 000 records, 32 MiB).
	RequestLogSize  int   `json:"request_log_size,omitempty"`
	RequestLogBytes int64 `json:"request_log_bytes,omitempty"`
	// LogValueBytes is how much of each parameter key and value the request
	// log keeps (default 4 KiB): a longer one is cut, at a character
	// boundary, and its length in bytes kept beside it.
	LogValueBytes int `json:"log_value_bytes,omitempty"`
	// Messages and MessageBytes bound the messages stored by messages.send
	// (default 100 000 messages, 64 MiB); an evicted message's random_id
	// is forgotten with it.
	Messages     int   `json:"messages,omitempty"`
	MessageBytes int64 `json:"message_bytes,omitempty"`
	// Posts and PostBytes bound the posts of all walls together (default
	// 100 000 posts, 64 MiB), the seeded ones included.
	Posts     int   `json:"posts,omitempty"`
	PostBytes int64 `json:"post_bytes,omitempty"`
	// ScriptCache and ScriptCacheBytes bound the cache of compiled execute
	// code (default 512 programs, 64 MiB, a program counted as twice its
	// source).
	ScriptCache      int   `json:"script_cache,omitempty"`
	ScriptCacheBytes int64 `json:"script_cache_bytes,omitempty"`
}

// Defaults of Limits.
const (
	DefaultRequestLogBytes  = 32 << 20
	DefaultLogValueBytes    = 4 << 10
	DefaultMessages         = world.DefaultMessages
	DefaultMessageBytes     = world.DefaultMessageBytes
	DefaultPosts            = world.DefaultPosts
	DefaultPostBytes        = world.DefaultPostBytes
	DefaultScriptCache      = 512
	DefaultScriptCacheBytes = 64 << 20
)

// Timeouts bound the connections of a server started by Serve or
// Start. The zero value of a field means its default.
type Timeouts struct {
	// Read is the time a client has to send a request, headers and body
	// (default 30 s); past it the connection is closed.
	Read time.Duration
	// Write is the time from the end of the request headers to the end of
	// the answer (default 11 min, longer than the longest latency fault:
	// latency faults must stay under it).
	Write time.Duration
	// Idle is how long a keep-alive connection may wait for its next
	// request (default 2 min).
	Idle time.Duration
	// MaxHeaderBytes bounds the request line and headers (default 1 MiB).
	MaxHeaderBytes int
}

// Defaults of Timeouts.
const (
	DefaultReadTimeout    = 30 * time.Second
	DefaultWriteTimeout   = faults.MaxLatency + time.Minute
	DefaultIdleTimeout    = 2 * time.Minute
	DefaultMaxHeaderBytes = 1 << 20
)

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.RequestLogSize, DefaultRequestLogSize)
	def64(&l.RequestLogBytes, DefaultRequestLogBytes)
	def(&l.LogValueBytes, DefaultLogValueBytes)
	def(&l.Messages, DefaultMessages)
	def64(&l.MessageBytes, DefaultMessageBytes)
	def(&l.Posts, DefaultPosts)
	def64(&l.PostBytes, DefaultPostBytes)
	def(&l.ScriptCache, DefaultScriptCache)
	def64(&l.ScriptCacheBytes, DefaultScriptCacheBytes)
	return l
}

// over sets the fields of o that are set (positive) over l.
func (l Limits) over(o Limits) Limits {
	set := func(v *int, n int) {
		if n > 0 {
			*v = n
		}
	}
	set64 := func(v *int64, n int64) {
		if n > 0 {
			*v = n
		}
	}
	set(&l.RequestLogSize, o.RequestLogSize)
	set64(&l.RequestLogBytes, o.RequestLogBytes)
	set(&l.LogValueBytes, o.LogValueBytes)
	set(&l.Messages, o.Messages)
	set64(&l.MessageBytes, o.MessageBytes)
	set(&l.Posts, o.Posts)
	set64(&l.PostBytes, o.PostBytes)
	set(&l.ScriptCache, o.ScriptCache)
	set64(&l.ScriptCacheBytes, o.ScriptCacheBytes)
	return l
}

// validate refuses negative limits, which say nothing sensible.
func (l Limits) validate() error {
	for name, v := range map[string]int64{
		"request_log_size": int64(l.RequestLogSize), "request_log_bytes": l.RequestLogBytes,
		"log_value_bytes": int64(l.LogValueBytes), "messages": int64(l.Messages), "message_bytes": l.MessageBytes,
		"posts": int64(l.Posts), "post_bytes": l.PostBytes, "script_cache": int64(l.ScriptCache),
		"script_cache_bytes": l.ScriptCacheBytes,
	} {
		if v < 0 {
			return fmt.Errorf("vkmock: limit %s must not be negative (0 means the default)", name)
		}
	}
	return nil
}

func (t Timeouts) withDefaults() Timeouts {
	t.Read = core.PositiveOr(t.Read, DefaultReadTimeout)
	t.Write = core.PositiveOr(t.Write, DefaultWriteTimeout)
	t.Idle = core.PositiveOr(t.Idle, DefaultIdleTimeout)
	t.MaxHeaderBytes = core.PositiveOr(t.MaxHeaderBytes, DefaultMaxHeaderBytes)
	return t
}

func (t Timeouts) over(o Timeouts) Timeouts {
	if o.Read > 0 {
		t.Read = o.Read
	}
	if o.Write > 0 {
		t.Write = o.Write
	}
	if o.Idle > 0 {
		t.Idle = o.Idle
	}
	if o.MaxHeaderBytes > 0 {
		t.MaxHeaderBytes = o.MaxHeaderBytes
	}
	return t
}

// maxFaultLatency is the longest delay a fault may add: 10 minutes, and
// less than the write timeout, so that the delayed answer still gets out.
func (t Timeouts) maxFaultLatency() time.Duration {
	return min(faults.MaxLatency, t.Write-time.Second)
}

// msDuration converts milliseconds of a configuration to a duration; it
// fails outside 0 to 24 hours.
func msDuration(field string, ms int64) (time.Duration, error) {
	const most = 24 * 60 * 60 * 1000
	if ms < 0 || ms > most {
		return 0, fmt.Errorf("vkmock: config: %s must be between 0 and %d", field, int64(most))
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// storedKey is what a store keeps of a string from a request (a token, a
// target) to compare it later: a copy, so that it does not keep the
// request's body alive, and a digest for a long one, so that it stays
// small.
func storedKey(s string) string { return core.StoredKey(s) }

// FieldError is a value out of its range in a control request or a
// configuration: the control API answers it as 400 with {"error": ...,
// "field": ...}.
type FieldError = core.FieldError

// maxStoredToken is the longest token a validation keeps.
const maxStoredToken = 4096

// MaxTokens bounds the tokens created through the control API and by
// completed validations; a token string is at most maxStoredToken bytes.
const MaxTokens = 100_000

// tokensFit refuses a token the store has no room for.
func (s *Server) tokensFit(t Token) error {
	if len(t.Token) > maxStoredToken {
		return core.FieldErr("token", "must be at most %d bytes", maxStoredToken)
	}
	s.mu.RLock()
	n := len(s.tokens)
	s.mu.RUnlock()
	if n >= MaxTokens {
		return fmt.Errorf("vkmock: at most %d tokens", MaxTokens)
	}
	return nil
}
