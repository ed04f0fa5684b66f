package bodybuf

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadReusesAndBounds(t *testing.T) {
	var buf Buffer
	b, err := buf.Read(strings.NewReader("hello"), 100)
	if err != nil || string(b) != "hello" {
		t.Fatalf("%q %v", b, err)
	}
	first := &b[0]
	b, err = buf.Read(iotest.OneByteReader(strings.NewReader("world!")), 100)
	if err != nil || string(b) != "world!" || &b[0] != first {
		t.Fatalf("%q %v, reused %v", b, err, &b[0] == first)
	}
	// The limit: at most limit bytes.
	b, _ = buf.Read(strings.NewReader("0123456789"), 4)
	if string(b) != "0123" {
		t.Fatalf("limit: %q", b)
	}
	// A huge answer: read whole, then released.
	huge := bytes.Repeat([]byte("x"), 3*KeepMax)
	b, err = buf.Read(bytes.NewReader(huge), int64(len(huge))+1)
	if err != nil || !bytes.Equal(b, huge) {
		t.Fatalf("huge: %d bytes, %v", len(b), err)
	}
	buf.Release()
	if buf.b != nil {
		t.Fatalf("a %d-byte buffer kept", cap(buf.b))
	}
	b, _ = buf.Read(strings.NewReader("small"), 100)
	buf.Release()
	if string(b) != "small" || cap(buf.b) > KeepMax {
		t.Fatalf("%q, cap %d", b, cap(buf.b))
	}
	// An error is returned with what was read.
	boom := errors.New("boom")
	b, err = buf.Read(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), 100)
	if !errors.Is(err, boom) || string(b) != "ab" {
		t.Fatalf("%q %v", b, err)
	}
}
