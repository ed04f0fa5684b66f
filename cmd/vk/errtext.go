package main

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
)

// inWords returns err in the words of a user of the command line: VK's
// error as "error N: message", a network failure as "cannot reach HOST:
// why", without the Go packages' prefixes ("vkapi: ...: vk: ...") nor the
// request URL. Secrets are redacted.
func inWords(err error) string {
	var (
		apiErr *vkerr.Error
		tokErr *vkapi.TokenError
		fmtErr *vkerr.FormatError
		urlErr *url.Error
		upErr  *upload.Error
		call   *vkapi.CallError
	)
	tries := ""
	if errors.As(err, &call) && call.Attempts > 1 {
		tries = " (tried " + strconv.Itoa(call.Attempts) + " times)"
	}
	switch {
	case errors.As(err, &tokErr):
		return "VK refused the token: " + apiWords(tokErr.Err)
	case errors.As(err, &apiErr) && apiErr.Code == vkerr.Auth:
		return "VK refused the token: " + apiWords(apiErr)
	case errors.As(err, &apiErr):
		return apiWords(apiErr)
	case errors.As(err, &upErr):
		// "upload: save (photos.saveMessagesPhoto) failed ...: vk: ...":
		// the step and the counts, then the cause without its prefix.
		return strings.ReplaceAll(strings.TrimPrefix(upErr.Error(), "upload: "), ": vk: ", ": ")
	case errors.Is(err, vkapi.ErrNoTokens):
		return "VK refused the token"
	case errors.As(err, &fmtErr):
		s := "not a VK API answer: " + vkerr.RedactString(fmtErr.Reason)
		if fmtErr.Snippet != "" {
			s += ": " + strconv.Quote(vkerr.RedactString(fmtErr.Snippet))
		}
		return s + tries
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time (see --timeout)" + tries
	case errors.As(err, &urlErr):
		return "cannot reach " + hostOf(urlErr.URL) + ": " + netReason(urlErr.Err) + tries
	}
	return vkerr.RedactString(err.Error())
}

// unprefixed is err's text without the "vk: " the Go package puts before
// it: the command line says "vk:" once, at the start of the line.
func unprefixed(err error) string { return strings.TrimPrefix(err.Error(), "vk: ") }

// apiWords is VK's error as "error N: message", subcode and method
// included when VK gave them.
func apiWords(e *vkerr.Error) string {
	s := ""
	if e.Method != "" {
		s = e.Method + ": "
	}
	s += "error " + strconv.Itoa(int(e.Code))
	if e.Subcode != 0 {
		s += ", subcode " + strconv.Itoa(int(e.Subcode))
	}
	msg := e.Message
	if msg == "" {
		msg = e.Code.Info().MessageEN
	}
	return s + ": " + vkerr.RedactString(msg)
}

// hostOf is the scheme and host of a request URL, without its path and
// query (which may hold secrets).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the server"
	}
	return u.Scheme + "://" + u.Host
}

// netReason says why a request got no answer, in a few words.
func netReason(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "no such host " + dns.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the server running?)"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	s := err.Error()
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		s = op.Err.Error()
	}
	return vkerr.RedactString(strings.TrimPrefix(s, "connect: "))
}
