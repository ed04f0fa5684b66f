package vkmock

// debugCB describes the sender's state for a failing test.
func (s *Server) debugCB() string { return s.cb.Debug(DefaultGroupID) }
