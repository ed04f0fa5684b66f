package longpoll

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Store keeps the ts a community's poller resumes from. Save is called
// after the events the ts covers were handled.
type Store interface {
	// Load returns the saved ts; "" when none was saved.
	Load(ctx context.Context, groupID int64) (string, error)
	Save(ctx context.Context, groupID int64, ts string) error
}

// MemoryStore keeps the ts in memory: a restart of the process starts from
// the server's ts. The zero value is ready.
type MemoryStore struct {
	mu sync.Mutex
	ts map[int64]string
}

// Load returns the saved ts.
func (m *MemoryStore) Load(_ context.Context, groupID int64) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ts[groupID], nil
}

// Save keeps ts.
func (m *MemoryStore) Save(_ context.Context, groupID int64, ts string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ts == nil {
		m.ts = map[int64]string{}
	}
	m.ts[groupID] = ts
	return nil
}

// FileStore keeps the ts of each community in a file, written atomically
// (a temporary file renamed over it), so a crash leaves the old or the new
// ts, never a torn one.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// NewFileStore returns a store writing beside path, one file per
// community with its id before the extension: "bot.ts" keeps community
// 200000001's ts in "bot.200000001.ts".
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

func (f *FileStore) file(groupID int64) string {
	ext := filepath.Ext(f.path)
	return strings.TrimSuffix(f.path, ext) + "." + strconv.FormatInt(groupID, 10) + ext
}

// Load returns the saved ts, "" when the file does not exist.
func (f *FileStore) Load(_ context.Context, groupID int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := os.ReadFile(f.file(groupID))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ts := strings.TrimSpace(string(b))
	if _, err := strconv.ParseUint(ts, 10, 64); err != nil {
		return "", errors.New("longpoll: the file store holds no ts: " + strconv.Quote(ts))
	}
	return ts, nil
}

// Save writes ts atomically.
func (f *FileStore) Save(_ context.Context, groupID int64, ts string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.file(groupID)
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(ts + "\n"); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
