package main

import (
	"bytes"
	"errors"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// rawResponse is an HTTP response as `curl -i` prints it: a status line,
// headers, a blank line, the body.
type rawResponse struct {
	Status      int
	ContentType string
	Body        []byte
}

// maxHeaderBlocks bounds the header blocks parseRawResponse skips (curl -i
// -L prints one per redirect, and 100 Continue adds one).
const maxHeaderBlocks = 20

// parseRawResponse splits input into status, headers and body when it
// starts with an HTTP status line ("HTTP/1.1 502 Bad Gateway", "HTTP/2
// 200"); it reports false for a bare body. When curl printed several
// responses (redirects, 100 Continue), the last one counts.
func parseRawResponse(input []byte) (*rawResponse, bool, error) {
	rest := bytes.TrimLeft(input, "\r\n\t \ufeff")
	if !bytes.HasPrefix(rest, []byte("HTTP/")) {
		return nil, false, nil
	}
	var r *rawResponse
	for i := 0; bytes.HasPrefix(rest, []byte("HTTP/")); i++ {
		if i == maxHeaderBlocks {
			return nil, true, errors.New("more than 20 HTTP header blocks")
		}
		head, body, ok := cutHeaderBlock(rest)
		if !ok {
			return nil, true, errors.New("HTTP headers without the blank line that ends them")
		}
		lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
		status, err := parseStatusLine(lines[0])
		if err != nil {
			return nil, true, err
		}
		r = &rawResponse{Status: status, Body: body}
		for _, l := range lines[1:] {
			k, v, ok := strings.Cut(l, ":")
			if ok && textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)) == "Content-Type" {
				r.ContentType = strings.TrimSpace(v)
			}
		}
		rest = body
	}
	return r, true, nil
}

// cutHeaderBlock splits b at the first blank line (CRLF CRLF or LF LF).
func cutHeaderBlock(b []byte) (head, body []byte, ok bool) {
	i, n := bytes.Index(b, []byte("\r\n\r\n")), 4
	if j := bytes.Index(b, []byte("\n\n")); j >= 0 && (i < 0 || j < i) {
		i, n = j, 2
	}
	if i < 0 {
		// Headers only, no body at all.
		if t := bytes.TrimRight(b, "\r\n"); len(t) < len(b) {
			return t, nil, true
		}
		return nil, nil, false
	}
	return b[:i], b[i+n:], true
}

// parseStatusLine reads the code of "HTTP/1.1 502 Bad Gateway" or "HTTP/2 200".
func parseStatusLine(line string) (int, error) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0, errors.New("bad HTTP status line " + strconv.Quote(vkerr.RedactShort(line, 80)))
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 999 {
		return 0, errors.New("bad HTTP status code in " + strconv.Quote(vkerr.RedactShort(line, 80)))
	}
	return code, nil
}
