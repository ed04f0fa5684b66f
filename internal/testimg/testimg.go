// Package testimg makes the images the upload tests send: small valid
// PNGs whose bytes, and so whose hashes, differ by a seed. It is imported
// by tests only.
package testimg

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// PNG is a valid w×h RGBA PNG. Two seeds under 2^24 give different
// pixels, so different files.
func PNG(tb testing.TB, w, h, seed int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(seed*31 + i)
	}
	if len(img.Pix) >= 3 {
		img.Pix[0], img.Pix[1], img.Pix[2] = byte(seed), byte(seed>>8), byte(seed>>16)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}
