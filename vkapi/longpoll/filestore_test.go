package longpoll

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// saveAnswer saves the position of an answer of n events as the poller
// does: the new ts with none handled, then one event more per Save.
func saveAnswer(tb testing.TB, fs *FileStore, ts string, n int) {
	ctx := context.Background()
	if err := fs.Save(ctx, 1, Position{TS: ts}); err != nil {
		tb.Fatal(err)
	}
	var handled []string
	for i := range n {
		handled = append(handled, "e"+strconv.Itoa(i))
		if err := fs.Save(ctx, 1, Position{TS: ts, Handled: handled}); err != nil {
			tb.Fatal(err)
		}
	}
}

// The events of one answer are appended to the file, not rewritten with
// it: the same file (no rename) grows by one line per event, so an answer
// of n events writes O(n) bytes (it wrote O(n²) before: 20,000 events,
// about 8.6 GB).
func TestFileStoreAppendsEvents(t *testing.T) {
	fs := NewFileStore(filepath.Join(t.TempDir(), "bot.ts"))
	saveAnswer(t, fs, "7", 1)
	const n = 300
	saveAnswer(t, fs, "7", 0) // the same ts again: rewritten, none handled
	var handled []string
	for i := range n {
		handled = append(handled, "e"+strconv.Itoa(i))
		if err := fs.Save(context.Background(), 1, Position{TS: "7", Handled: handled}); err != nil {
			t.Fatal(err)
		}
	}
	after, err := os.Stat(fs.file(1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(fs.file(1))
	if lines := strings.Count(string(b), "\n"); lines != n+1 {
		t.Fatalf("%d lines for %d events", lines, n)
	}
	if after.Size() > int64(n*10+100) {
		t.Fatalf("%d bytes for %d events", after.Size(), n)
	}
	// A fresh store (a restart) reads every key back.
	pos, err := NewFileStore(fs.path).Load(context.Background(), 1)
	if err != nil || pos.TS != "7" || len(pos.Handled) != n || pos.Handled[n-1] != "e"+strconv.Itoa(n-1) {
		t.Fatalf("%v, %d keys", err, len(pos.Handled))
	}
	// A new ts replaces the file.
	saveAnswer(t, fs, "8", 0)
	if b, _ := os.ReadFile(fs.file(1)); strings.Count(string(b), "\n") != 1 {
		t.Fatalf("after a new ts: %q", b)
	}
}

// Appending between two Saves of one answer does not rename the file.
func TestFileStoreKeepsTheFileWithinAnAnswer(t *testing.T) {
	fs := NewFileStore(filepath.Join(t.TempDir(), "bot.ts"))
	saveAnswer(t, fs, "7", 2)
	a, _ := os.Stat(fs.file(1))
	if err := fs.Save(context.Background(), 1, Position{TS: "7", Handled: []string{"e0", "e1", "e2"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.Stat(fs.file(1))
	if !os.SameFile(a, b) {
		t.Fatal("the file was replaced for one event more")
	}
}

// A line cut by a crash is not read; a file that is not a position says
// which file to delete.
func TestFileStoreTornAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	fs := NewFileStore(filepath.Join(dir, "bot.ts"))
	if err := os.WriteFile(fs.file(1), []byte("{\"ts\":\"5\"}\n\"a\"\n\"b"), 0o600); err != nil {
		t.Fatal(err)
	}
	pos, err := fs.Load(context.Background(), 1)
	if err != nil || pos.TS != "5" || len(pos.Handled) != 1 {
		t.Fatalf("%+v %v", pos, err)
	}
	if err := os.WriteFile(fs.file(2), []byte(`{"ts":"abc"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = fs.Load(context.Background(), 2)
	if !errors.Is(err, ErrBadPosition) || !strings.Contains(err.Error(), "delete "+fs.file(2)) {
		t.Fatalf("%v", err)
	}
}

// BenchmarkFileStoreAnswer: the cost per event of an answer of 20,000
// events stays flat (39 s for the answer before, about 8.6 GB written).
func BenchmarkFileStoreAnswer(b *testing.B) {
	fs := NewFileStore(filepath.Join(b.TempDir(), "bot.ts"))
	for i := 0; b.Loop(); i++ {
		saveAnswer(b, fs, strconv.Itoa(i+1), 20000)
	}
}

// A file of any bytes loads as a position or fails with ErrBadPosition;
// it never panics, and what loads saves and loads again the same.
func FuzzFileStoreParse(f *testing.F) {
	f.Add([]byte("{\"ts\":\"5\"}\n\"a\"\n\"b"))
	f.Add([]byte("42"))
	f.Add([]byte("{\"ts\":\"5\",\"handled\":[\"x\"]}\n\"y\"\n"))
	f.Add([]byte("{\"ts\":\"abc\"}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := parseFile(b)
		if err != nil {
			if !errors.Is(err, ErrBadPosition) {
				t.Fatalf("%v", err)
			}
			return
		}
		if n != len(p.Handled) {
			t.Fatalf("%d keys counted, %d read", n, len(p.Handled))
		}
		enc, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Position
		if err := q.UnmarshalBinary(enc); err != nil || q.TS != p.TS || len(q.Handled) != len(p.Handled) {
			t.Fatalf("%+v does not round-trip: %v", p, err)
		}
	})
}
