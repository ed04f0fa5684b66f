package vkmock

// debugCB describes the sender's state for a failing test.
func (s *Server) debugCB() string { return s.cb.Debug(DefaultGroupID) }

// callbackServerJSON is a server as groups.getCallbackServers answers it.
type callbackServerJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	CreatorID int64  `json:"creator_id"`
	URL       string `json:"url"`
	SecretKey string `json:"secret_key"`
	Status    string `json:"status"`
}
