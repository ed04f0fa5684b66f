package streaming

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The server side of a WebSocket (RFC 6455), as small as the stream needs:
// the handshake, unmasked text frames out, and the client's frames in
// (ping answered by pong, close answered by close, data discarded). It is
// written here rather than taken from a library so that the mock can
// stall a connection (stop reading and answering pings) and send a broken
// frame, which a library does not allow.

// wsGUID is the key suffix of RFC 6455, section 1.3.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxClientFrame bounds a frame from the client (pings, closes and any
// data: the stream expects nothing else).
const maxClientFrame = 64 << 10

// writeTimeout bounds a write to a client that does not read.
const writeTimeout = 10 * time.Second

// isUpgrade reports whether r asks for a WebSocket of version 13.
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHas(r.Header, "Connection", "upgrade") &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		r.Header.Get("Sec-WebSocket-Key") != "" &&
		r.Header.Get("Sec-WebSocket-Version") == "13"
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// wsConn is an accepted WebSocket.
type wsConn struct {
	c  net.Conn
	br *bufio.Reader

	wmu    sync.Mutex // one writer at a time
	closed chan struct{}
	once   sync.Once
}

// hijack takes over the connection of an upgrade request; handshake then
// completes it.
func hijack(w http.ResponseWriter) (*wsConn, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, errors.New("streaming: the connection cannot be taken over")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return &wsConn{c: c, br: brw.Reader, closed: make(chan struct{})}, nil
}

// handshake answers 101 to the upgrade request r.
func (c *wsConn) handshake(r *http.Request) error {
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + wsGUID))
	return c.write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"))
}

// frame builds an unmasked, final frame.
func frame(op byte, payload []byte) []byte {
	n := len(payload)
	b := make([]byte, 0, n+10)
	b = append(b, 0x80|op)
	switch {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// write sends raw bytes with a deadline.
func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.c.Write(b)
	return err
}

// writeText sends one text message.
func (c *wsConn) writeText(p []byte) error { return c.write(frame(0x1, p)) }

// close ends the connection at once (no close handshake).
func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.closed)
		c.c.Close()
	})
}

// readLoop reads the client's frames until the connection ends: it answers
// pings and closes, and while stalled (stalled returns true) it answers
// nothing, as a server that hangs.
func (c *wsConn) readLoop(stalled func() bool) {
	defer c.close()
	for {
		op, payload, err := c.readFrame()
		if err != nil {
			return
		}
		if stalled() {
			continue
		}
		switch op {
		case 0x9: // ping
			if c.write(frame(0xA, payload)) != nil {
				return
			}
		case 0x8: // close: answer and end
			_ = c.write(frame(0x8, payload))
			return
		}
	}
}

// readFrame reads one masked frame of the client.
func (c *wsConn) readFrame() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	op = h[0] & 0x0f
	masked := h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err = io.ReadFull(c.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err = io.ReadFull(c.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if !masked || n > maxClientFrame {
		return 0, nil, errors.New("streaming: bad client frame")
	}
	var mask [4]byte
	if _, err = io.ReadFull(c.br, mask[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(c.br, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return op, payload, nil
}
