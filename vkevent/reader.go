package vkevent

import "github.com/vkerr/vkerr/internal/jsonread"

// reader is the single-pass JSON reader behind the generated decoders and
// the envelope's (internal/jsonread), with the package's typed reads
// (reader_values.go) on top. Its tolerance is the package's: each typed
// read decodes one value as well as it can (a number in a string, a string
// where a number was due) and yields the zero value when the value does
// not fit.
type reader struct {
	jsonread.Reader
}

func newReader(b []byte) reader { return reader{jsonread.New(b)} }
