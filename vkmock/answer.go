package vkmock

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	writeBody(w, b, truncate)
}

func (s *Server) writeResponse(w http.ResponseWriter, body []byte, truncate bool) {
	const head, tail = `{"response":`, "}"
	if truncate {
		b := make([]byte, 0, len(head)+len(body)+len(tail))
		b = append(append(append(b, head...), body...), tail...)
		writeBody(w, b, true)
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

func writeBody(w http.ResponseWriter, b []byte, truncate bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if truncate {
		truncateConn(w, b)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// truncateConn sends the headers announcing the whole body, half of it,
// then closes the connection.
func truncateConn(w http.ResponseWriter, b []byte) {
	half := b[:len(b)/2]
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2: announce the length, send half, end the stream.
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(half)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	var hb strings.Builder
	hb.WriteString("HTTP/1.1 200 OK\r\n")
	keys := make([]string, 0, len(w.Header()))
	for k := range w.Header() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range w.Header()[k] {
			hb.WriteString(k + ": " + v + "\r\n")
		}
	}
	hb.WriteString("Connection: close\r\n\r\n")
	writeAll(conn, buf, hb.String(), half)
}

func writeAll(conn net.Conn, buf *bufio.ReadWriter, head string, body []byte) {
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = buf.WriteString(head)
	_, _ = buf.Write(body)
	_ = buf.Flush()
}

// resetConn drops the connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := underlyingTCP(conn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch t := c.(type) {
		case *net.TCPConn:
			return t, true
		case interface{ NetConn() net.Conn }:
			c = t.NetConn()
		default:
			return nil, false
		}
	}
}

// writeHTML answers an HTTP status with an HTML page, as a proxy in front
// of the API would.
func writeHTML(w http.ResponseWriter, status int) {
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	body := "<html>\r\n<head><title>" + strconv.Itoa(status) + " " + text + "</title></head>\r\n<body>\r\n<center><h1>" +
		strconv.Itoa(status) + " " + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func writeJSON(w http.ResponseWriter, status int, v any) { core.WriteJSON(w, status, v) }
