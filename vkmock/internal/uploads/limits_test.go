package uploads

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
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

// TestPhotoTooBig: the header alone decides, by pixels and by bytes a
// pixel; zero limits are the defaults.
func TestPhotoTooBig(t *testing.T) {
	for _, c := range []struct {
		l    Limits
		cfg  image.Config
		want bool
	}{
		{Limits{}, image.Config{Width: 7000, Height: 6999, ColorModel: color.NRGBA64Model}, true},
		{Limits{}, image.Config{Width: 2000, Height: 2000, ColorModel: color.NRGBA64Model}, true},
		{Limits{}, image.Config{Width: 6000, Height: 6000, ColorModel: color.NRGBAModel}, true},
		{Limits{}, image.Config{Width: 5000, Height: 5000, ColorModel: color.NRGBAModel}, false},
		{Limits{}, image.Config{Width: 100, Height: 100, ColorModel: color.Palette{color.Black}}, false},
		{Limits{}, image.Config{Width: 100, Height: 100, ColorModel: color.ModelFunc(func(c color.Color) color.Color { return c })}, true},
		{Limits{MaxPhotoPixels: 100}, image.Config{Width: 20, Height: 20, ColorModel: color.GrayModel}, true},
		{Limits{MaxPhotoBytesPerPixel: 8}, image.Config{Width: 2000, Height: 2000, ColorModel: color.RGBA64Model}, false},
	} {
		if got := c.l.photoTooBig(c.cfg); got != c.want {
			t.Errorf("%+v %dx%d: %v, want %v", c.l, c.cfg.Width, c.cfg.Height, got, c.want)
		}
	}
}

// TestRoomLimits: SetLimits fills zero fields with the defaults; Reset
// keeps the limits.
func TestRoomLimits(t *testing.T) {
	r, _ := newTestRoom(t, Deps{})
	if got := r.Limits(); got != (Limits{DefaultMaxPhotoPixels, DefaultMaxPhotoBytesPerPixel}) {
		t.Fatalf("default limits %+v", got)
	}
	r.SetLimits(Limits{MaxPhotoPixels: 100})
	r.Reset()
	if got := r.Limits(); got != (Limits{100, DefaultMaxPhotoBytesPerPixel}) {
		t.Fatalf("limits after SetLimits and Reset %+v", got)
	}
}

// TestUploadRefusesHugeImageUndecoded: a 381 KB 16-bit PNG of 7000×6999 (392
// MB decoded) is refused from its header, as are a 16-bit one within the
// pixel bound and an 8-bit one over it; a small one with a bad body is
// decoded and answers the silent "photo":"[]".
func TestUploadRefusesHugeImageUndecoded(t *testing.T) {
	r, _ := newTestRoom(t, Deps{})
	u := uploadURL(t, r, groupToken, "photos.getMessagesUploadServer")
	if b := post(t, r, u, "photo", "big.png", pngHeader(7000, 6999, 16, 381<<10)); !strings.Contains(string(b), upBadSize) {
		t.Fatalf("7000×6999 16-bit: %s", b)
	}
	// Within the pixel bound but 8 bytes a pixel.
	if b := post(t, r, u, "photo", "big.png", pngHeader(2000, 2000, 16, 1024)); !strings.Contains(string(b), upBadSize) {
		t.Fatalf("2000×2000 16-bit: %s", b)
	}
	// Over the pixel bound at 4 bytes a pixel.
	if b := post(t, r, u, "photo", "big.png", pngHeader(6000, 6000, 8, 1024)); !strings.Contains(string(b), upBadSize) {
		t.Fatalf("6000×6000 8-bit: %s", b)
	}
	// Within both bounds: decoded, and a bad IDAT is VK's silent failure.
	if b := post(t, r, u, "photo", "bad.png", pngHeader(100, 100, 8, 64)); !strings.Contains(string(b), `"photo":"[]"`) {
		t.Fatalf("100×100 8-bit with a bad body: %s", b)
	}
}

// TestDocExt: the extension VK's check sees, whatever the case and the
// trailing dots or spaces; a name whose last dot is in a directory has
// none.
func TestDocExt(t *testing.T) {
	for name, want := range map[string]string{
		"evil.exe": "exe", "evil.exe.": "exe", "EVIL.EXE": "exe", "evil.Exe..": "exe", "evil.exe. .": "exe",
		"a.b.MSI.": "msi", "evil.exe.txt": "txt", "exe": "", "notes.": "", "report.PDF": "pdf",
		"dir.d/file": "", `dir.d\file`: "", "": "", "...": "",
	} {
		if got := docExt(name); got != want {
			t.Errorf("docExt(%q) = %q, want %q", name, got, want)
		}
	}
}
