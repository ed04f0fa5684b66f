package schemasource

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "SOURCE.md"), []byte("VKCOM/vk-api-schema at commit `0efe478` (VK API 5.199)"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Commit(dir); err != nil || c != "0efe478" {
		t.Errorf("Commit = %q, %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "SOURCE.md"), []byte("no commit here"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(dir); err == nil {
		t.Error("no error for a SOURCE.md without a commit")
	}
	if _, err := Commit(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing SOURCE.md")
	}
}

func TestParseCommit(t *testing.T) {
	if c, err := ParseCommit([]byte("VKCOM/vk-api-schema at commit `0efe478abc` (VK API 5.199)")); err != nil || c != "0efe478abc" {
		t.Errorf("ParseCommit = %q, %v", c, err)
	}
	for _, bad := range []string{"", "commit 0efe478", "commit `xyz1234`", "commit `abc`"} {
		if c, err := ParseCommit([]byte(bad)); err == nil {
			t.Errorf("ParseCommit(%q) = %q, want an error", bad, c)
		}
	}
}
