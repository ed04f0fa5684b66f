package testimg

import (
	"bytes"
	"image/png"
	"testing"
)

func TestPNG(t *testing.T) {
	a, b := PNG(t, 6, 4, 1), PNG(t, 6, 4, 256)
	if bytes.Equal(a, b) {
		t.Fatal("seeds 1 and 256 gave the same file")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil || img.Bounds().Dx() != 6 || img.Bounds().Dy() != 4 {
		t.Fatalf("decoded %v, %v; want a 6×4 PNG", img, err)
	}
}
