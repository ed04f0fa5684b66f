package vkmock

import (
	"strings"
	"testing"

	"github.com/vkerr/vkerr/internal/testimg"
)

// The upload servers' error texts the tests look for.
const (
	upBadSize = "ERR_UPLOAD_BAD_IMAGE_SIZE"
	upBadType = "ERR_UPLOAD_FILE_TYPE_NOT_ALLOWED"
)

// TestUploadLimitsConfigurable: the decoding bounds have their
// defaults and are configurable through s.Uploads() (the refusals from
// the header alone are tested in internal/uploads).
func TestUploadLimitsConfigurable(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	group := s.Tokens().Of(TokenGroup).Token
	post := func(img []byte) string {
		u := uploadURLOf(t, s, group, "photos.getMessagesUploadServer", nil)
		return string(postFiles(t, s, u, nil, [3]string{"photo", "big.png", string(img)}))
	}
	if got := s.Uploads().Limits(); got.MaxPhotoPixels != DefaultMaxPhotoPixels || got.MaxPhotoBytesPerPixel != DefaultMaxPhotoBytesPerPixel {
		t.Fatalf("default limits %+v", got)
	}
	// The bounds are configurable.
	s.Uploads().SetLimits(UploadLimits{MaxPhotoPixels: 100})
	if b := post(testimg.PNG(t, 20, 20, 1)); !strings.Contains(b, upBadSize) {
		t.Fatalf("20×20 over a 100-pixel bound: %s", b)
	}
	s.Uploads().SetLimits(UploadLimits{})
	if b := post(testimg.PNG(t, 20, 20, 1)); strings.Contains(b, "error") || strings.Contains(b, `"photo":"[]"`) {
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
