package streaming

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// maxRulesBody bounds the body of POST and DELETE /rules.
const maxRulesBody = 64 << 10

// writeError answers {"code":400,"error":{"message","error_code"}}, VK's
// shape, with HTTP 400.
func writeError(w http.ResponseWriter, c vkerr.StreamingCode) {
	b, _ := json.Marshal(map[string]any{"code": 400, "error": map[string]any{"message": c.Info().MessageEN, "error_code": int(c)}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(b)
}

func writeOK(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// fault applies a fault of phase to a request; it reports whether it
// answered.
func (h *Hub) fault(w http.ResponseWriter, r *http.Request, phase, key string) bool {
	if h.cfg.Fault == nil {
		return false
	}
	a := h.cfg.Fault(phase, key)
	if a == nil {
		return false
	}
	if a.Delay > 0 && !wait(r.Context().Done(), a.Delay) {
		core.ResetConn(w)
		return true
	}
	switch {
	case a.Code != 0:
		writeError(w, a.Code)
	case a.HTTPStatus != 0:
		core.WriteHTML(w, a.HTTPStatus)
	case a.Effect == "reset":
		core.ResetConn(w)
	default:
		return false
	}
	return true
}

// checkKey answers 1003 or 1004 for a request without a known key.
func (h *Hub) checkKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.URL.Query().Get("key")
	switch {
	case key == "":
		writeError(w, vkerr.StreamingNoKey)
		return "", false
	case !h.known(key):
		writeError(w, vkerr.StreamingBadKey)
		return "", false
	}
	return key, true
}

// isJSON reports whether the request says its body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// ServeRules serves GET, POST and DELETE /rules?key=KEY.
func (h *Hub) ServeRules(w http.ResponseWriter, r *http.Request) {
	key, ok := h.checkKey(w, r)
	if !ok || h.fault(w, r, PhaseRules, key) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		rules, _ := h.Rules(key)
		if len(rules) == 0 {
			rules = nil // VK answers "rules": null for no rules
		}
		writeOK(w, map[string]any{"code": 200, "rules": rules})
		return
	case http.MethodPost, http.MethodDelete:
	default:
		writeError(w, vkerr.StreamingUnsupportedMethod)
		return
	}
	if !isJSON(r) {
		writeError(w, vkerr.StreamingBadContentType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRulesBody+1))
	if err != nil || len(body) > maxRulesBody {
		writeError(w, vkerr.StreamingInvalidJSON)
		return
	}
	var code vkerr.StreamingCode
	if r.Method == http.MethodPost {
		var in struct {
			Rule *Rule `json:"rule"`
		}
		if json.Unmarshal(body, &in) != nil || in.Rule == nil {
			writeError(w, vkerr.StreamingInvalidJSON)
			return
		}
		code = h.AddRule(key, *in.Rule)
	} else {
		var in struct {
			Tag *string `json:"tag"`
		}
		if json.Unmarshal(body, &in) != nil || in.Tag == nil {
			writeError(w, vkerr.StreamingInvalidJSON)
			return
		}
		code = h.DeleteRule(key, *in.Tag)
	}
	if code != 0 {
		writeError(w, code)
		return
	}
	writeOK(w, map[string]int{"code": 200})
}

// ServeStream serves the WebSocket at /stream?key=KEY: the checks of the
// upgrade in the order method, key, stream_id, upgrade headers, faults,
// one connection per key; then the stream until either side ends it.
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, vkerr.StreamingUnsupportedMethod)
		return
	}
	key, ok := h.checkKey(w, r)
	if !ok {
		return
	}
	if v, has := r.URL.Query()["stream_id"]; has {
		if n, err := strconv.Atoi(strings.TrimSpace(v[0])); err != nil || n < 0 {
			writeError(w, vkerr.StreamingBadStreamID)
			return
		}
	}
	if !isUpgrade(r) {
		writeError(w, vkerr.StreamingBadUpgrade)
		return
	}
	if h.fault(w, r, PhaseUpgrade, key) {
		return
	}
	h.mu.Lock()
	st := h.streams[key]
	switch {
	case h.closed || h.draining || st == nil:
		h.mu.Unlock()
		writeError(w, vkerr.StreamingBadKey)
		return
	case st.conn != nil || st.pending:
		h.mu.Unlock()
		writeError(w, vkerr.StreamingAlreadyConnected)
		return
	}
	// The key is taken before the handshake, so a second upgrade racing
	// this one gets 1006.
	st.pending = true
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	ws, err := hijack(w)
	h.mu.Lock()
	st.pending = false
	if err != nil || h.closed || h.streams[key] != st {
		// Refused, or the hub was reset or closed meanwhile.
		h.mu.Unlock()
		if ws != nil {
			ws.close()
		}
		return
	}
	// The connection takes events before the client hears it is up: an
	// event made once the client knows is never missed.
	h.connSeq++
	c := newConn(h.connSeq, key, ws, h.cfg.MaxQueue)
	st.conn = c
	h.mu.Unlock()
	if ws.handshake(r) != nil {
		c.kill(h)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop(h)
	}()
	ws.readLoop(c.stalled.Load)
	<-done
}
