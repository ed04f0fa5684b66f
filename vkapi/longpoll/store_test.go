package longpoll

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Both stores keep a position per community, replace it whole, and load
// the zero Position when nothing was saved.
func TestStores(t *testing.T) {
	ctx := context.Background()
	for name, s := range map[string]Store{
		"memory": &MemoryStore{},
		"file":   NewFileStore(filepath.Join(t.TempDir(), "x.ts")),
	} {
		t.Run(name, func(t *testing.T) {
			if pos, err := s.Load(ctx, 1); pos.TS != "" || pos.Handled != nil || err != nil {
				t.Fatal(pos, err)
			}
			want := Position{TS: "42", Handled: []string{"a1", "#3", "b\n\"2"}}
			if err := s.Save(ctx, 1, want); err != nil {
				t.Fatal(err)
			}
			if pos, err := s.Load(ctx, 1); pos.TS != "42" || !slices.Equal(pos.Handled, want.Handled) || err != nil {
				t.Fatal(pos, err)
			}
			if err := s.Save(ctx, 1, Position{TS: "43"}); err != nil {
				t.Fatal(err)
			}
			if pos, err := s.Load(ctx, 1); pos.TS != "43" || len(pos.Handled) != 0 || err != nil {
				t.Fatalf("the handled events of the old ts stayed: %+v %v", pos, err)
			}
			if pos, _ := s.Load(ctx, 2); pos.TS != "" {
				t.Fatal("communities share a position")
			}
		})
	}
}

func TestFileStoreFormats(t *testing.T) {
	ctx := context.Background()
	fs := NewFileStore(filepath.Join(t.TempDir(), "bot.ts"))
	for content, want := range map[string]string{
		"17\n":                          "17", // a file of the per-answer format
		`{"ts":"18","handled":["x"]}`:   "18",
		`{"ts":"junk","handled":["x"]}`: "",
		"junk":                          "",
		"":                              "",
	} {
		if err := os.WriteFile(fs.file(5), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		pos, err := fs.Load(ctx, 5)
		if pos.TS != want || (err == nil) != (want != "") {
			t.Errorf("%q: %+v %v", content, pos, err)
		}
	}
}

func FuzzPosition(f *testing.F) {
	f.Add([]byte(`{"ts":"18","handled":["x","#1"]}`))
	f.Add([]byte("17\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Position
		if p.UnmarshalBinary(b) != nil {
			return
		}
		enc, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Position
		if err := q.UnmarshalBinary(enc); err != nil || q.TS != p.TS || !slices.Equal(q.Handled, p.Handled) {
			t.Fatalf("%+v -> %s -> %+v %v", p, enc, q, err)
		}
	})
}
