package challenges

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
)

// serveCaptchaImage serves /captcha.php?sid=SID: the captcha's picture.
func (r *Room) serveCaptchaImage(w http.ResponseWriter, req *http.Request) {
	c, ok := r.Captcha(req.URL.Query().Get("sid"))
	if !ok {
		http.Error(w, "no such captcha", http.StatusNotFound)
		return
	}
	b := captchaPNG(c.Key, r.hash("captcha-noise", c.SID))
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// glyphs are 5×7 bitmaps of the digits.
var glyphs = [10][7]string{
	{"01110", "10001", "10011", "10101", "11001", "10001", "01110"},
	{"00100", "01100", "00100", "00100", "00100", "00100", "01110"},
	{"01110", "10001", "00001", "00010", "00100", "01000", "11111"},
	{"11110", "00001", "00001", "01110", "00001", "00001", "11110"},
	{"00010", "00110", "01010", "10010", "11111", "00010", "00010"},
	{"11111", "10000", "11110", "00001", "00001", "10001", "01110"},
	{"00110", "01000", "10000", "11110", "10001", "10001", "01110"},
	{"11111", "00001", "00010", "00100", "01000", "01000", "01000"},
	{"01110", "10001", "10001", "01110", "10001", "10001", "01110"},
	{"01110", "10001", "10001", "01111", "00001", "00010", "01100"},
}

// captchaPNG draws the digits of key on a 130×50 picture, VK's size, with
// noise from the seed h.
func captchaPNG(key string, h uint64) []byte {
	const width, height, scale = 130, 50, 4
	pal := color.Palette{color.RGBA{0xf4, 0xf6, 0xf8, 0xff}, color.RGBA{0x2a, 0x58, 0x85, 0xff}, color.RGBA{0x99, 0xa8, 0xb8, 0xff}}
	img := image.NewPaletted(image.Rect(0, 0, width, height), pal)
	next := func() uint64 {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
		return h
	}
	for range 120 {
		img.SetColorIndex(int(next()%width), int(next()%height), 2)
	}
	for range 3 {
		y0, y1 := int(next()%height), int(next()%height)
		for x := range width {
			img.SetColorIndex(x, y0+(y1-y0)*x/width, 2)
		}
	}
	x := 6
	for _, ch := range key {
		if ch < '0' || ch > '9' {
			continue
		}
		g := glyphs[ch-'0']
		dy := 6 + int(next()%8)
		for row := range 7 {
			for col := range 5 {
				if g[row][col] != '1' {
					continue
				}
				for i := range scale {
					for j := range scale {
						img.SetColorIndex(x+col*scale+i, dy+row*scale+j, 1)
					}
				}
			}
		}
		x += 5*scale + 4
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return buf.Bytes()
}
