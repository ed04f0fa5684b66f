package upload

import (
	"encoding/json"
	"testing"
)

// FuzzParseUploaded: any upload server answer decodes to the save's
// fields or an error, never a panic; fields are never empty.
func FuzzParseUploaded(f *testing.F) {
	for _, s := range []string{
		`{"server":11164,"photo":"[{\"photo\":\"8609348f15:z\"}]","hash":"5b9d"}`,
		`{"server":"1","photos_list":"[{}]","aid":5,"hash":"x"}`,
		`{"file":"743784474|0|0|240331|e24cd4aa3c|pdf|14854|a.pdf|00a3|8775||||eyJkaXNrIjozfQ=="}`,
		`{"error":"ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"}`,
		`{"error_code":1,"error_descr":"x","error_is_logged":true}`,
		`{"error":{"error_code":1,"type":"x"}}`, `{"errcode":3}`, `{"server":1,"photo":"[]","hash":"h"}`,
		`{"response":{"file":"f"}}`, `{"server":1,"photo":"[{`, `<html>`, ``, `null`, `[]`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	fields := []string{"photo", "photos_list", "file"}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		field := fields[int(which)%len(fields)]
		up, err := parseUploaded(body, field)
		if err != nil {
			if up != nil {
				t.Fatal("answer and error")
			}
			_ = err.Error()
			return
		}
		if up[field] == "" || field != "file" && (up["server"] == "" || up["hash"] == "") {
			t.Fatalf("accepted %q as %v", body, up)
		}
	})
}

// FuzzParseSaved: any answer of steps 1 and 3 decodes or fails cleanly.
func FuzzParseSaved(f *testing.F) {
	for _, s := range []string{
		`{"upload_url":"https://pu.vk.com/c1/upload.php?hash=1","album_id":-14}`,
		`[{"id":1,"owner_id":-1,"album_id":-3,"sizes":[{"type":"x","url":"u","width":1,"height":1}],"access_key":"k"}]`,
		`{"type":"doc","doc":{"id":1,"owner_id":2,"title":"t","ext":"pdf"}}`,
		`{"type":"type","type":1}`, `{"photo_hash":"h","saved":1}`, `{"upload_url":"javascript:x"}`, `[]`, `{}`, `null`, `1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw := json.RawMessage(b)
		if u, err := parseServer(raw); err == nil && u == "" {
			t.Fatal("empty upload_url accepted")
		}
		if ps, err := parsePhotos(raw); err == nil {
			if p := ps[0]; p.ID == 0 || p.OwnerID == 0 || p.Attachment() == "" {
				t.Fatalf("photo %+v accepted", p)
			}
		}
		if d, err := parseDoc(raw); err == nil && (d.Type == "" || d.ID == 0) {
			t.Fatalf("doc %+v accepted", d)
		}
		if o, err := parseOwnerPhoto(raw); err == nil && o.PhotoHash == "" {
			t.Fatal("owner photo without hash accepted")
		}
	})
}
