package main

import (
	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkmock"
)

// mockLimits are the flags of `vk mock` that bound its stores and its
// connections (vkmock.Limits and vkmock.Timeouts). Only the flags given
// apply, so that they override a --config file without resetting it.
type mockLimits struct {
	limits   vkmock.Limits
	timeouts vkmock.Timeouts
}

func (m *mockLimits) register(cmd *cobra.Command) {
	f := cmd.Flags()
	l, t := &m.limits, &m.timeouts
	f.DurationVar(&t.Read, "read-timeout", vkmock.DefaultReadTimeout, "time a client has to send a whole request, headers and body")
	f.DurationVar(&t.Write, "write-timeout", vkmock.DefaultWriteTimeout, "time to send an answer, from the end of the request headers (latency faults stay under it)")
	f.DurationVar(&t.Idle, "idle-timeout", vkmock.DefaultIdleTimeout, "time a keep-alive connection may wait for its next request")
	f.IntVar(&t.MaxHeaderBytes, "max-header-bytes", vkmock.DefaultMaxHeaderBytes, "largest request line and headers, in bytes")
	f.IntVar(&l.RequestLogSize, "request-log-size", vkmock.DefaultRequestLogSize, "most records in the request log (the oldest go first)")
	f.Int64Var(&l.RequestLogBytes, "request-log-bytes", vkmock.DefaultRequestLogBytes, "most bytes in the request log")
	f.IntVar(&l.LogValueBytes, "log-value-bytes", vkmock.DefaultLogValueBytes, "bytes of each parameter the request log keeps")
	f.IntVar(&l.Messages, "max-messages", vkmock.DefaultMessages, "most messages stored by messages.send")
	f.Int64Var(&l.MessageBytes, "max-message-bytes", vkmock.DefaultMessageBytes, "most bytes of stored messages")
	f.IntVar(&l.Posts, "max-posts", vkmock.DefaultPosts, "most posts on all walls")
	f.Int64Var(&l.PostBytes, "max-post-bytes", vkmock.DefaultPostBytes, "most bytes of posts")
	f.IntVar(&l.ScriptCache, "script-cache", vkmock.DefaultScriptCache, "most compiled execute programs kept")
	f.Int64Var(&l.ScriptCacheBytes, "script-cache-bytes", vkmock.DefaultScriptCacheBytes, "most bytes of compiled execute programs kept")
}

// options returns the options of the flags that were given.
func (m *mockLimits) options(cmd *cobra.Command) []vkmock.Option {
	f := cmd.Flags()
	var l vkmock.Limits
	var t vkmock.Timeouts
	set := map[string]func(){
		"read-timeout":       func() { t.Read = m.timeouts.Read },
		"write-timeout":      func() { t.Write = m.timeouts.Write },
		"idle-timeout":       func() { t.Idle = m.timeouts.Idle },
		"max-header-bytes":   func() { t.MaxHeaderBytes = m.timeouts.MaxHeaderBytes },
		"request-log-size":   func() { l.RequestLogSize = m.limits.RequestLogSize },
		"request-log-bytes":  func() { l.RequestLogBytes = m.limits.RequestLogBytes },
		"log-value-bytes":    func() { l.LogValueBytes = m.limits.LogValueBytes },
		"max-messages":       func() { l.Messages = m.limits.Messages },
		"max-message-bytes":  func() { l.MessageBytes = m.limits.MessageBytes },
		"max-posts":          func() { l.Posts = m.limits.Posts },
		"max-post-bytes":     func() { l.PostBytes = m.limits.PostBytes },
		"script-cache":       func() { l.ScriptCache = m.limits.ScriptCache },
		"script-cache-bytes": func() { l.ScriptCacheBytes = m.limits.ScriptCacheBytes },
	}
	for name, apply := range set {
		if f.Changed(name) {
			apply()
		}
	}
	return []vkmock.Option{vkmock.WithLimits(l), vkmock.WithTimeouts(t)}
}
