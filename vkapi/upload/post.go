package upload

// Step 2: the multipart body and its POST to the upload server.

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/vkerr/vkerr"
)

// post sends the file to the upload server and decodes its answer.
func (u *Uploader) post(ctx context.Context, upURL string, body *multipartFile, field string) (uploaded, error) {
	actx, cancel := context.WithTimeout(ctx, u.policy.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, upURL, body.reader())
	if err != nil {
		return nil, hideURL(err, upURL)
	}
	req.ContentLength = body.size()
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body.reader()), nil }
	req.Header.Set("Content-Type", body.ctype)
	resp, err := u.hc.Do(req)
	if err != nil {
		return nil, hideURL(err, upURL)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, hideURL(err, upURL)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPStatusError{StatusCode: resp.StatusCode, Snippet: vkerr.RedactedSnippet(b)}
	}
	return parseUploaded(b, field)
}

// multipartFile is a multipart body of files, made once and read again
// for each retry without copying the files: the parts' headers and the
// caller's bytes in turn.
type multipartFile struct {
	buf   bytes.Buffer
	mw    *multipart.Writer
	parts [][]byte
	ctype string
}

// add adds a file part.
func (m *multipartFile) add(field, name string, data []byte) {
	if m.mw == nil {
		m.mw = multipart.NewWriter(&m.buf)
	}
	if name == "" {
		name = "file"
	}
	_, _ = m.mw.CreateFormFile(field, name)
	m.parts = append(m.parts, bytes.Clone(m.buf.Bytes()), data)
	m.buf.Reset()
}

// close adds the trailer.
func (m *multipartFile) close() {
	_ = m.mw.Close()
	m.parts = append(m.parts, bytes.Clone(m.buf.Bytes()))
	m.ctype = m.mw.FormDataContentType()
	m.buf = bytes.Buffer{}
}

func (m *multipartFile) reader() io.Reader {
	rs := make([]io.Reader, len(m.parts))
	for i, p := range m.parts {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

func (m *multipartFile) size() int64 {
	n := 0
	for _, p := range m.parts {
		n += len(p)
	}
	return int64(n)
}
