package vkmock

import "fmt"

// debugCB describes the sender's state for a failing test.
func (s *Server) debugCB() string {
	c := &s.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	out := fmt.Sprintf("now %v inflight %d\n", s.now(), c.inflight)
	for _, it := range c.pending {
		out += fmt.Sprintf("item %s attempt %d due %v\n", it.eventID, it.attempt, it.due)
	}
	for _, sv := range c.groups[DefaultGroupID].servers {
		out += fmt.Sprintf("server %+v\n", *sv)
	}
	return out
}
