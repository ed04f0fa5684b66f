package uploads

import (
	"image"
	"image/color"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The upload server's bounds on decoding: a photo's header is read first
// (image.DecodeConfig), and a photo whose pixel count or bytes per pixel
// is over a bound is refused before it is decoded, so one small file (a
// 381 KB 16-bit PNG of 7000×6999 decodes to 392 MB) cannot take the
// mock's memory.

// Defaults of Limits.
const (
	// DefaultMaxPhotoPixels bounds width×height of a photo the upload
	// server decodes: 25 megapixels, a 24 MP camera's photo, 100 MB
	// decoded at 4 bytes a pixel (the mock's choice: VK documents only
	// width+height ≤ 14000, which allows 49 megapixels).
	DefaultMaxPhotoPixels = 25_000_000
	// DefaultMaxPhotoBytesPerPixel bounds the decoded bytes per pixel: 4,
	// 8-bit RGBA; 16-bit images (8 bytes a pixel) are refused (the mock's
	// choice).
	DefaultMaxPhotoBytesPerPixel = 4
)

// Limits bounds what the upload server decodes. The zero value of a
// field means its default.
type Limits struct {
	MaxPhotoPixels        int64 `json:"max_photo_pixels,omitempty"`
	MaxPhotoBytesPerPixel int   `json:"max_photo_bytes_per_pixel,omitempty"`
}

func (l Limits) withDefaults() Limits {
	l.MaxPhotoPixels = core.PositiveOr(l.MaxPhotoPixels, DefaultMaxPhotoPixels)
	l.MaxPhotoBytesPerPixel = core.PositiveOr(l.MaxPhotoBytesPerPixel, DefaultMaxPhotoBytesPerPixel)
	return l
}

// SetLimits sets the decoding bounds (zero fields take their defaults).
func (r *Room) SetLimits(l Limits) {
	r.mu.Lock()
	r.limits = l.withDefaults()
	r.mu.Unlock()
}

// Limits returns the decoding bounds.
func (r *Room) Limits() Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limits.withDefaults()
}

// bytesPerPixel is what one pixel of a color model takes decoded; 8 for
// a model it does not know, so that an unknown one is bounded as the
// widest.
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel, color.NYCbCrAModel, color.CMYKModel, color.RGBAModel, color.NRGBAModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// photoTooBig reports whether a photo's header says it is over the
// decoding bounds.
func (l Limits) photoTooBig(cfg image.Config) bool {
	l = l.withDefaults()
	return int64(cfg.Width)*int64(cfg.Height) > l.MaxPhotoPixels || bytesPerPixel(cfg.ColorModel) > l.MaxPhotoBytesPerPixel
}

// docExt is a document name's extension as VK's check sees it: lower
// case, trailing dots and spaces dropped ("evil.EXE. " is exe).
func docExt(name string) string {
	name = strings.TrimRight(name, ". ")
	i := strings.LastIndexByte(name, '.')
	if i < 0 || strings.ContainsAny(name[i:], "/\\") {
		return ""
	}
	return strings.ToLower(name[i+1:])
}
