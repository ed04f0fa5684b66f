package vkerr

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// FuzzClassify: Classify never panics on any bytes, and CheckResponse,
// which reads a response and calls it, agrees with it.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{`{"response":1}`, `{"error":{"error_code":6,"error_msg":"x"}}`, `<html>`, ``, `{"response":[`} {
		f.Add(200, s)
		f.Add(503, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		h := http.Header{"Content-Type": {"application/json"}}
		raw, err := Classify(status, h, []byte(body), nil, 64)
		if err == nil && status != http.StatusOK {
			t.Fatalf("status %d classified as success", status)
		}
		raw2, err2 := CheckResponse(&http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader([]byte(body)))}, 64)
		if !bytes.Equal(raw, raw2) || (err == nil) != (err2 == nil) {
			t.Fatalf("Classify %q %v, CheckResponse %q %v", raw, err, raw2, err2)
		}
	})
}

func TestClassifyReadErrorAndSize(t *testing.T) {
	_, err := Classify(200, http.Header{}, []byte(`{"resp`), io.ErrUnexpectedEOF, 0)
	var he *HTTPError
	if !errors.As(err, &he) || !errors.Is(err, ErrTransient) {
		t.Fatalf("read error: %v", err)
	}
	_, err = Classify(200, http.Header{}, bytes.Repeat([]byte("x"), 11), nil, 10)
	if !errors.As(err, &he) {
		t.Fatalf("oversized: %v", err)
	}
	raw, err := Classify(200, http.Header{}, []byte(`{"response":[1]}`), nil, 0)
	if err != nil || string(raw) != "[1]" {
		t.Fatalf("%s %v", raw, err)
	}
}
