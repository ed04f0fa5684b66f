// Package bodybuf reads answer bodies into one buffer reused from answer
// to answer, for a loop that decodes each answer before reading the next
// (a Long Poll poller), so that reading does not allocate and regrow a
// buffer per answer as io.ReadAll does.
package bodybuf

import "io"

// KeepMax is the largest buffer kept between answers: after a larger
// answer, Release drops it, so one huge answer does not hold its memory
// for the poller's lifetime.
const KeepMax = 1 << 20

// firstSize is the size of a new buffer.
const firstSize = 16 << 10

// Buffer is a reusable body buffer. The zero value is ready; it is not
// safe for concurrent use.
type Buffer struct {
	b []byte
}

// Read reads r to its end into the buffer, reading at most limit bytes
// (a caller that must tell a body over a limit from one at it asks for
// one byte more). The bytes are valid until the next Read or Release.
func (buf *Buffer) Read(r io.Reader, limit int64) ([]byte, error) {
	b := buf.b[:0]
	if cap(b) == 0 {
		b = make([]byte, 0, firstSize)
	}
	r = io.LimitReader(r, limit)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			buf.b = b
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// Release drops the buffer when it grew past KeepMax; call it once the
// bytes of the last Read are no longer used.
func (buf *Buffer) Release() {
	if cap(buf.b) > KeepMax {
		buf.b = nil
	}
}
