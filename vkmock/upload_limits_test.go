package vkmock

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// pngHeader is a PNG's signature and IHDR chunk for w×h at depth bits
// per channel, RGBA, followed by an IDAT chunk of pad bytes that no
// decoder would accept: a server that decoded it would answer the silent
// "photo":"[]", not a refusal.
func pngHeader(w, h uint32, depth byte, pad int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, 6 // RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", bytes.Repeat([]byte{0xAB}, pad))
	return b.Bytes()
}

// TestUploadRefusesHugeImageUndecoded: a 381 KB 16-bit PNG of 7000×6999
// (392 MB decoded) is refused from its header, as is an 8-bit one over
// the pixel bound; both bounds are configurable.
func TestUploadRefusesHugeImageUndecoded(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	post := func(img []byte) string {
		u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
		return string(postFiles(t, s, u, nil, [3]string{"photo", "big.png", string(img)}))
	}
	if got := s.Uploads().Limits(); got.MaxPhotoPixels != DefaultMaxPhotoPixels || got.MaxPhotoBytesPerPixel != DefaultMaxPhotoBytesPerPixel {
		t.Fatalf("default limits %+v", got)
	}
	huge := pngHeader(7000, 6999, 16, 381<<10)
	if b := post(huge); !strings.Contains(b, upBadSize) {
		t.Fatalf("7000×6999 16-bit: %s", b)
	}
	// Within the pixel bound but 8 bytes a pixel.
	if b := post(pngHeader(2000, 2000, 16, 1024)); !strings.Contains(b, upBadSize) {
		t.Fatalf("2000×2000 16-bit: %s", b)
	}
	// Over the pixel bound at 4 bytes a pixel.
	if b := post(pngHeader(6000, 6000, 8, 1024)); !strings.Contains(b, upBadSize) {
		t.Fatalf("6000×6000 8-bit: %s", b)
	}
	// Within both bounds: decoded, and a bad IDAT is VK's silent failure.
	if b := post(pngHeader(100, 100, 8, 64)); !strings.Contains(b, `"photo":"[]"`) {
		t.Fatalf("100×100 8-bit with a bad body: %s", b)
	}
	// The bounds are configurable.
	s.Uploads().SetLimits(UploadLimits{MaxPhotoPixels: 100})
	if b := post(testPNG(t, 20, 20, 1)); !strings.Contains(b, upBadSize) {
		t.Fatalf("20×20 over a 100-pixel bound: %s", b)
	}
	s.Uploads().SetLimits(UploadLimits{})
	if b := post(testPNG(t, 20, 20, 1)); strings.Contains(b, "error") || strings.Contains(b, `"photo":"[]"`) {
		t.Fatalf("20×20 within the default bounds: %s", b)
	}
}

// TestUploadDocExtTrailingDotsAndCase: a refused document type is refused
// whatever its case and trailing dots or spaces.
func TestUploadDocExtTrailingDotsAndCase(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	for _, name := range []string{"evil.exe", "evil.exe.", "EVIL.EXE", "evil.Exe..", "evil.exe. .", "a.b.MSI."} {
		u := uploadURLOf(t, s, user, "docs.getUploadServer", nil)
		if b := string(postFiles(t, s, u, nil, [3]string{"file", name, "MZ..."})); !strings.Contains(b, upBadType) {
			t.Errorf("%q: %s", name, b)
		}
	}
	for _, name := range []string{"evil.exe.txt", "exe", "notes.", "report.PDF"} {
		u := uploadURLOf(t, s, user, "docs.getUploadServer", nil)
		if b := string(postFiles(t, s, u, nil, [3]string{"file", name, "hello"})); !strings.Contains(b, `"file":"`) {
			t.Errorf("%q: %s", name, b)
		}
	}
}

// TestUploadErrorSiblingFields: an upload server's error carries VK's
// sibling fields bwact, server and _sig, checked field by field against a
// real body (pasted in a comment of Papyrus's VkInterface::ReadError,
// public code found with the search tool; testdata/wire).
func TestUploadErrorSiblingFields(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	u := uploadURLOf(t, s, user, "docs.getUploadServer", nil)
	b := postFiles(t, s, u, nil, [3]string{"file", "evil.exe.", "MZ"})
	sameShape(t, wireBody(t, "upload-error-bad-image-size-papyrus.json"), b)
	if !strings.Contains(string(b), `"bwact":"do_add"`) || !strings.Contains(string(b), upBadType) {
		t.Fatalf("%s", b)
	}
}
