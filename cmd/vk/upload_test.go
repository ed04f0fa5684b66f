package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
)

func writePNG(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 6, 4))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pic.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUploadCommandMock(t *testing.T) {
	pic := writePNG(t)
	code, out, errOut := vk(t, "", "upload", "photo", "--peer", "2000000001", pic, "--mock")
	if code != 0 || !regexp.MustCompile(`^photo-\d+_\d+_[0-9a-f]+\n$`).MatchString(out) {
		t.Fatalf("upload photo --mock: %d %q %s", code, out, errOut)
	}
	doc := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(doc, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = vk(t, "", "upload", "doc", "--peer", "1", doc, "--mock", "--kind", "user")
	if code != 0 || !regexp.MustCompile(`^doc\d+_\d+_[0-9a-f]+\n$`).MatchString(out) {
		t.Fatalf("upload doc --mock: %d %q %s", code, out, errOut)
	}
}

func TestUploadCommandAgainstServer(t *testing.T) {
	s := vkmocktest.NewServer(t, vkmock.WithRateLimits(false))
	tok := s.Tokens().Of(vkmock.TokenGroup).Token
	pic := writePNG(t)
	code, out, errOut := vk(t, "", "upload", "photo", "--peer", "1", pic, "--base-url", s.URL(), "--token", tok)
	st := s.Uploads().Stored().Stored
	if code != 0 || len(st) != 1 || strings.TrimSpace(out) != st[0].Attachments[0] {
		t.Fatalf("%d %q %s; stored %+v", code, out, errOut, st)
	}
	// A file the upload server refuses: exit 1, a clear error, no token.
	if _, err := s.Faults().Add(vkmock.Fault{Method: "upload.photo", Upload: "docs", Suffix: "ERR_UPLOAD_FILE_TOO_LARGE: file is too large"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = vk(t, "", "upload", "photo", "--peer", "1", pic, "--base-url", s.URL(), "--token", tok)
	if code != 1 || out != "" || !strings.Contains(errOut, "ERR_UPLOAD_FILE_TOO_LARGE") || strings.Contains(errOut, tok) {
		t.Fatalf("refused upload: %d %q %s", code, out, errOut)
	}
	if n := s.Uploads().Stored().TokensSeen; n != 0 {
		t.Fatalf("the upload server saw the token %d times", n)
	}
}

func TestUploadCommandUsage(t *testing.T) {
	t.Setenv("VK_TOKEN", "")
	pic := writePNG(t)
	for _, args := range [][]string{
		{"upload"},
		{"upload", "photo", pic, "--mock"}, // no --peer
		{"upload", "video", "--peer", "1", pic, "--mock"},              // not photo or doc
		{"upload", "photo", "--peer", "1", pic + ".missing", "--mock"}, // no file
		{"upload", "photo", "--peer", "1", pic, "--mock", "--kind", "service"},
		{"upload", "photo", "--peer", "1", pic}, // no token
	} {
		if code, out, errOut := vk(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
}
