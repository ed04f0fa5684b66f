package upload

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

// TestUploadAction: the remedy of each kind of step 2 failure.
func TestUploadAction(t *testing.T) {
	decoded := func(body string) error {
		_, err := parseUploaded([]byte(body), "photo")
		return err
	}
	cases := []struct {
		name string
		err  error
		want action
	}{
		{"reset", &url.Error{Op: "Post", URL: "u", Err: syscall.ECONNRESET}, actRetry},
		{"truncated read", io.ErrUnexpectedEOF, actRetry},
		{"truncated body", decoded(`{"server":1,"photo":"[{`), actRetry},
		{"html page", decoded(`<html><body>502</body></html>`), actRetry},
		{"502", &HTTPStatusError{StatusCode: 502}, actRetry},
		{"429", &HTTPStatusError{StatusCode: 429}, actRetry},
		{"403", &HTTPStatusError{StatusCode: 403}, actNewChain},
		{"API error 10", decoded(`{"error":{"error_code":10,"error_msg":"Internal server error"}}`), actRetry},
		{"API error 5", decoded(`{"error":{"error_code":5,"error_msg":"User authorization failed"}}`), actNewChain},
		{"expired", decoded(`{"error":"ERR_UPLOAD_URL_EXPIRED: upload url has expired"}`), actNewChain},
		{"not uploaded", decoded(`{"error":"ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"}`), actNewChain},
		{"too large", decoded(`{"error":"ERR_UPLOAD_FILE_TOO_LARGE: file is too large"}`), actFail},
		{"bad size", decoded(`{"error":"ERR_UPLOAD_BAD_IMAGE_SIZE: bad image size"}`), actFail},
		{"video", decoded(`{"error_code":1,"error_descr":"x","error_is_logged":true}`), actNewChain},
		{"story", decoded(`{"error":{"error_code":1,"type":"x"}}`), actNewChain},
		{"lead form", decoded(`{"errcode":1}`), actNewChain},
		{"photo []", decoded(`{"server":1,"photo":"[]","hash":"h"}`), actNewChain},
		{"no hash", decoded(`{"server":1,"photo":"[{}]"}`), actNewChain},
		{"junk", decoded(`hello`), actNewChain},
		{"other", errors.New("something else"), actFail},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Fatalf("%s: no error to classify", c.name)
		}
		if got := uploadAction(context.Background(), c.err); got != c.want {
			t.Errorf("%s (%v): %s, want %s", c.name, c.err, got, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := uploadAction(ctx, io.ErrUnexpectedEOF); got != actFail {
		t.Errorf("canceled: %s", got)
	}
}

// TestErrorText: the error names the step, the method, the counts and the
// redacted URL.
func TestErrorText(t *testing.T) {
	e := &Error{Step: StepUpload, Chains: 2, Attempts: 3,
		URL: redactURL("https://pu.vk.com/c1/upload.php?hash=abc&rhash=def&_sig=ghi"), Err: io.ErrUnexpectedEOF}
	s := e.Error()
	for _, want := range []string{"upload", "https://pu.vk.com/c1/upload.php", "after 2 tries from a new upload server (3 attempts in the last)", "unexpected EOF"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	for _, secret := range []string{"abc", "def", "ghi"} {
		if strings.Contains(s, secret) {
			t.Errorf("%q holds %q", s, secret)
		}
	}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("Unwrap")
	}
	if !errors.Is(hideURL(&url.Error{Op: "Post", URL: "http://h/p?_sig=zzz", Err: io.EOF}, "http://h/p?_sig=zzz"), io.EOF) {
		t.Error("hideURL loses the cause")
	}
}
