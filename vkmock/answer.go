package vkmock

import (
	"io"
	"net/http"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Writing answers: the VK envelope, and the broken answers of the faults
// (a truncated body, a reset connection, a proxy's HTML page).

// writeError writes the VK error envelope.
func (s *Server) writeError(w http.ResponseWriter, e *vkerr.Error, truncate bool) {
	b, err := vkerr.Envelope{Error: e}.MarshalWire()
	if err != nil {
		// Marshal fails only on bad Extra values; drop them.
		e.Extra = nil
		b, err = vkerr.Envelope{Error: e}.MarshalWire()
		if err != nil {
			b = []byte(`{"error":{"error_code":10,"error_msg":"Internal server error"}}`)
		}
	}
	core.WriteBody(w, b, truncate)
}

func (s *Server) writeResponse(w http.ResponseWriter, body []byte, truncate bool) {
	const head, tail = `{"response":`, "}"
	if truncate {
		b := make([]byte, 0, len(head)+len(body)+len(tail))
		b = append(append(append(b, head...), body...), tail...)
		core.WriteBody(w, b, true)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(head)+len(body)+len(tail)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, head)
	_, _ = w.Write(body)
	_, _ = io.WriteString(w, tail)
}
