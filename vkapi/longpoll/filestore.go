package longpoll

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// FileStore keeps the position of each community in a file. The file's
// first line is the position when its ts was saved; each event handled
// after it adds a line with its key. So a Save costs what it adds (one
// appended line, then an fsync), not the whole position: an answer of n
// events costs O(n) bytes written, not O(n²). A position with a new ts is
// written to a temporary file, fsynced, renamed over the old one, and the
// directory fsynced: a crash leaves the old or the new position. A line
// cut by a crash is not read (its event is the one in flight: it may be
// handled again).
type FileStore struct {
	path string
	mu   sync.Mutex
	last map[int64]*fileState // what each community's file holds
}

// fileState is what a community's file holds: its header and how many
// keys follow it.
type fileState struct {
	ts   string
	pts  int64
	keys int    // keys in the file, the header's included
	tail string // the last key, to check that a Save extends the file
}

// NewFileStore returns a store writing beside path, one file per
// community with its id before the extension: "bot.ts" keeps community
// 200000001's position in "bot.200000001.ts".
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

func (f *FileStore) file(groupID int64) string {
	ext := filepath.Ext(f.path)
	return strings.TrimSuffix(f.path, ext) + "." + strconv.FormatInt(groupID, 10) + ext
}

// Load returns the saved position, the zero Position when the file does
// not exist. A file holding a bare ts (the format before positions) loads
// as that ts. A file that cannot be read is an error matching
// ErrBadPosition that names the file to delete.
func (f *FileStore) Load(_ context.Context, groupID int64) (Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.file(groupID)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, err
	}
	p, n, err := parseFile(b)
	if err != nil {
		return Position{}, fmt.Errorf("%w (delete %s to start from the server's ts)", err, path)
	}
	f.remember(groupID, p, n)
	return p, nil
}

// parseFile reads a file's position: the header line, then one JSON
// string per handled key; a last line without its newline is dropped.
func parseFile(b []byte) (Position, int, error) {
	header, rest, _ := bytes.Cut(b, []byte("\n"))
	var p Position
	if err := p.UnmarshalBinary(header); err != nil {
		return Position{}, 0, err
	}
	for len(rest) > 0 {
		line, after, complete := bytes.Cut(rest, []byte("\n"))
		if !complete {
			break // cut by a crash
		}
		var k string
		if err := json.Unmarshal(line, &k); err != nil {
			return Position{}, 0, fmt.Errorf("%w: line %q is not an event key", ErrBadPosition, snip(line))
		}
		p.Handled = append(p.Handled, k)
		rest = after
	}
	return p, len(p.Handled), nil
}

func (f *FileStore) remember(groupID int64, p Position, keys int) {
	if f.last == nil {
		f.last = map[int64]*fileState{}
	}
	st := &fileState{ts: p.TS, pts: p.PTS, keys: keys}
	if keys > 0 {
		st.tail = p.Handled[keys-1]
	}
	f.last[groupID] = st
}

// Save stores pos: by appending the keys it adds when it extends what the
// file holds (same ts, more handled), else by replacing the file.
func (f *FileStore) Save(_ context.Context, groupID int64, pos Position) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.file(groupID)
	if st := f.last[groupID]; st != nil && st.ts == pos.TS && st.pts == pos.PTS && len(pos.Handled) > st.keys &&
		(st.keys == 0 || pos.Handled[st.keys-1] == st.tail) {
		if err := appendKeys(path, pos.Handled[st.keys:]); err == nil {
			st.keys, st.tail = len(pos.Handled), pos.Handled[len(pos.Handled)-1]
			return nil
		}
		// The append failed: replace the file as a whole.
	}
	delete(f.last, groupID)
	if err := replaceFile(path, pos); err != nil {
		return err
	}
	f.remember(groupID, pos, len(pos.Handled))
	return nil
}

// appendKeys adds one line per key to the file and fsyncs it.
func appendKeys(path string, keys []string) error {
	var buf bytes.Buffer
	for _, k := range keys {
		b, _ := json.Marshal(k)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = fh.Write(buf.Bytes())
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// replaceFile writes pos to a temporary file beside path, fsyncs it,
// renames it over path and fsyncs the directory, so that the rename
// itself survives a crash.
func replaceFile(path string, pos Position) error {
	b, err := pos.MarshalBinary()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	w.Write(b)
	w.WriteByte('\n')
	err = w.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
