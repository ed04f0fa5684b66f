package upload

// The files to upload and their reading within the size limit.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Source is a file to upload: a name (its extension tells VK its type)
// and its content. Make one with Reader, Bytes or File; an upload of the
// zero Source fails.
type Source struct {
	Name string
	data []byte // Bytes: used as it is
	open func() (io.ReadCloser, error)
}

// Reader is a Source read from r; the name gives the file's extension.
func Reader(name string, r io.Reader) Source {
	return Source{Name: name, open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// Bytes is a Source of b.
// The Uploader does not copy b; it must not change during the upload.
func Bytes(name string, b []byte) Source { return Source{Name: name, data: b} }

// File is a Source read from the file at path, named by its base name.
func File(path string) Source {
	return Source{Name: filepath.Base(path), open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// read reads the source within limit.
func (s Source) read(limit int64) ([]byte, error) {
	if s.data != nil {
		if int64(len(s.data)) > limit {
			return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
		}
		if len(s.data) == 0 {
			return nil, errors.New("upload: empty file")
		}
		return s.data, nil
	}
	if s.open == nil {
		return nil, errors.New("upload: empty Source")
	}
	rc, err := s.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	if len(b) == 0 {
		return nil, errors.New("upload: empty file")
	}
	return b, nil
}
