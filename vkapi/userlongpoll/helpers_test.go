package userlongpoll

import "net/http"

// httpClientCloser is an API HTTP client whose connections the test closes.
type httpClientCloser struct{ t *http.Transport }

func (h *httpClientCloser) client() *http.Client {
	h.t = &http.Transport{}
	return &http.Client{Transport: h.t}
}

func (h *httpClientCloser) close() { h.t.CloseIdleConnections() }
