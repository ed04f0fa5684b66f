package core

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Writing answers the rooms share: a JSON body (whole, or cut short by a
// fault), a connection dropped with a TCP reset, and a proxy's HTML page.

// WriteBody answers HTTP 200 with the JSON b; when truncate, the headers
// announce all of b but only half is sent before the connection closes.
func WriteBody(w http.ResponseWriter, b []byte, truncate bool) {
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

// ResetConn drops the connection with a TCP reset (on HTTP/2, it aborts
// the stream).
func ResetConn(w http.ResponseWriter) {
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

// WriteHTML answers an HTTP status with an HTML page, as a proxy in front
// of the API would.
func WriteHTML(w http.ResponseWriter, status int) {
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
	_, _ = io.WriteString(w, body)
}

// WriteJSON answers v as JSON with status, and a newline after it; a value
// that cannot be encoded answers 500 with {"error": ...}.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the answer failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
