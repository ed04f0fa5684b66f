// Package httpclient is how the client, the Long Poll pollers and the
// uploader make their own HTTP clients: one clone of net/http's default
// transport (the proxy from the environment, dial, TLS-handshake and idle
// timeouts) and one redirect rule (a redirect stays on the origin of the
// request, since a request may carry a token, a form or a file).
package httpclient

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// ErrCrossOriginRedirect is matched by the error of a request the server
// redirected to another origin (scheme, host or port) than its own: the
// redirect is not followed. vkapi exports it as vkapi.ErrCrossOriginRedirect.
var ErrCrossOriginRedirect = errors.New("vkapi: redirect to another origin refused")

// RedirectError names the origins of a refused redirect (never a path or
// query, which could carry anything).
type RedirectError struct{ From, To string }

func (e *RedirectError) Error() string {
	return ErrCrossOriginRedirect.Error() + ": from " + e.From + " to " + e.To
}

// Unwrap returns ErrCrossOriginRedirect.
func (e *RedirectError) Unwrap() error { return ErrCrossOriginRedirect }

// Transport returns a clone of http.DefaultTransport: the proxy from the
// environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), a 30 s dial timeout, a
// 10 s TLS handshake timeout, idle connections closed after 90 s, HTTP/2
// when the server offers it. Each call returns a new transport.
func Transport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// Origin returns scheme://host:port of u, lower-cased, with the scheme's
// default port made explicit, so that https://h and https://H:443 compare
// equal.
func Origin(u *url.URL) string {
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// maxRedirects is net/http's default bound.
const maxRedirects = 10

// SameOrigin returns a CheckRedirect that refuses a redirect to another
// origin than the first request's with a *RedirectError, then asks next
// (nil: net/http's default, at most 10 redirects).
func SameOrigin(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 {
			if from, to := Origin(via[0].URL), Origin(req.URL); from != to {
				return &RedirectError{From: from, To: to}
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// New returns a client of its own on Transport, following redirects only
// on the same origin.
func New() *http.Client {
	return &http.Client{Transport: Transport(), CheckRedirect: SameOrigin(nil)}
}

// Guard returns a copy of hc whose CheckRedirect is SameOrigin before hc's
// own; hc itself is not changed.
func Guard(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = SameOrigin(hc.CheckRedirect)
	return &cp
}
