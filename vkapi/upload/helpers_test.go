package upload_test

import (
	"io/fs"
	"os"
)

var errNotExist = fs.ErrNotExist

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
