package uploads

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

// The upload endpoint: POST multipart/form-data to an upload_url. It
// checks the URL's signature and age, the fault rules, the body and the
// image, in that order, and answers HTTP 200 with JSON as VK's upload
// servers do; docs/vkmock-design.md ("The upload endpoint") has the table
// of checks and of Fault.Upload's shapes.

// The texts of the upload servers' errors.
const (
	upNotUploaded = "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"
	upBadSig      = "ERR_UPLOAD_BAD_SIGNATURE: upload url signature is invalid"
	upExpired     = "ERR_UPLOAD_URL_EXPIRED: upload url has expired"
	upTooLarge    = "ERR_UPLOAD_FILE_TOO_LARGE: file is too large"
	upBadType     = "ERR_UPLOAD_FILE_TYPE_NOT_ALLOWED: this file type is not allowed"
	upBadSize     = "ERR_UPLOAD_BAD_IMAGE_SIZE: bad image size"
)

// IsPath reports whether a request path is the upload endpoint's.
func IsPath(path string) bool { return strings.HasPrefix(path, "/upload/") }

// errorBody is an upload server's error with VK's sibling fields:
// {"error":"ERR_UPLOAD_…: …","bwact":"do_add","server":N,"_sig":"…"}, as
// a real one pasted in public code shows (upload server's action, number
// and a signature of the answer; the mock signs the text and server).
func (r *Room) errorBody(c urlClaims, msg string) []byte {
	sig := r.mac("error", msg, strconv.FormatInt(c.server, 10))
	b, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Bwact  string `json:"bwact"`
		Server int64  `json:"server"`
		Sig    string `json:"_sig"`
	}{msg, "do_add", c.server, sig})
	return b
}

// ServeHTTP serves POST /upload/cN/upload.php.
func (r *Room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := r.now()
	q := req.URL.Query()
	if v := q.Get("access_token"); v != "" {
		r.sawToken(now, "query access_token")
	}
	if req.Header.Get("Authorization") != "" {
		r.sawToken(now, "header Authorization")
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			core.WriteBody(w, r.errorBody(urlClaims{}, "ERR_UPLOAD_INTERNAL: vkmock internal error"), false)
		}
	}()
	c, expired, tampered := r.checkURL(q)
	switch {
	case tampered:
		core.WriteBody(w, r.errorBody(c, upBadSig), false)
		return
	case expired:
		core.WriteBody(w, r.errorBody(c, upExpired), false)
		return
	}
	name := "upload.photo"
	if c.target == targetDoc {
		name = "upload.doc"
	}
	fq := &core.Request{Name: name, TLS: req.TLS != nil, Host: req.Host}
	for k, vs := range q {
		if k == "_sig" || k == "hash" || k == "rhash" {
			continue
		}
		for _, v := range vs {
			fq.Params = append(fq.Params, core.KV{Key: k, Value: v})
		}
	}
	truncate := false
	if f := r.d.Faults.Match(fq, faults.PhaseBefore); f != nil {
		if r.applyFault(w, req, f, c) {
			return
		}
		truncate = f.Effect == "truncate"
	}
	body, msg := r.receive(w, req, c)
	if msg != "" {
		body = r.errorBody(c, msg)
	}
	if f := r.d.Faults.Match(fq, faults.PhaseAfter); f != nil {
		if r.applyFault(w, req, f, c) {
			return
		}
		truncate = truncate || f.Effect == "truncate"
	}
	core.WriteBody(w, body, truncate)
}

// applyFault applies a rule at the upload endpoint; it reports whether it
// answered. A truncation (the upload done, its answer cut short) and a
// latency alone leave the answer to the caller.
func (r *Room) applyFault(w http.ResponseWriter, req *http.Request, f *faults.Fault, c urlClaims) bool {
	if d := r.d.Faults.Delay(f); d > 0 {
		if !core.Sleep(req.Context(), r.d.Done, d) {
			return true
		}
	}
	code := 1
	if f.Error != nil && f.Error.Code > 0 {
		code = int(f.Error.Code)
	}
	var b []byte
	switch {
	case f.HTTPStatus != 0:
		core.WriteHTML(w, f.HTTPStatus)
		return true
	case f.Effect == "reset":
		core.ResetConn(w)
		return true
	case f.Effect == "stall":
		r.stall(req.Context())
		core.ResetConn(w)
		return true
	case f.Upload == "docs":
		msg := upNotUploaded
		if f.Suffix != "" {
			msg = f.Suffix
		}
		b = r.errorBody(c, msg)
	case f.Upload == "video":
		b, _ = json.Marshal(map[string]any{"error_code": code, "error_descr": "upload failed", "error_is_logged": true})
	case f.Upload == "story":
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"error_code": code, "type": "upload_error"}})
	case f.Upload == "lead_form":
		b, _ = json.Marshal(map[string]any{"errcode": code})
	case f.Upload == "expired":
		b = r.errorBody(c, upExpired)
	case f.Upload == "empty":
		b = emptyAnswer(c)
	case f.Error != nil:
		e := r.d.Faults.Error(f, &core.Request{Name: "upload"})
		b, _ = json.Marshal(vkerr.Envelope{Error: e})
	default:
		return false // latency, truncation
	}
	core.WriteBody(w, b, f.Effect == "truncate")
	return true
}

// emptyAnswer is the silent failure of an upload server.
func emptyAnswer(c urlClaims) []byte {
	switch c.target {
	case targetDoc:
		return []byte(`{"file":""}`)
	case targetAlbum:
		return []byte(`{"server":` + strconv.FormatInt(c.server, 10) + `,"photos_list":"[]","aid":` + strconv.FormatInt(c.aid, 10) + `,"hash":"00000000000000000000000000000000"}`)
	}
	return []byte(`{"server":` + strconv.FormatInt(c.server, 10) + `,"photo":"[]","hash":"00000000000000000000000000000000"}`)
}
