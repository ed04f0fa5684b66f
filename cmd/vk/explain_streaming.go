package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
)

// The Streaming API's error codes in vk explain and vk decode. They are a
// family of their own: "streaming:2001" (or a name such as
// streaming_tag_exists) names one; a bare number names the API's code,
// unless only the Streaming API knows it.

// lookupStreamingArg finds the Streaming code an argument of vk explain
// names: by name or "streaming:N", or by a bare number the API catalogue
// does not know.
func lookupStreamingArg(arg string) (vkerr.StreamingInfo, bool) {
	if info, ok := vkerr.LookupStreamingName(arg); ok {
		return info, true
	}
	if _, ok := vkerr.LookupName(arg); ok {
		return vkerr.StreamingInfo{}, false
	}
	if n, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil && !vkerr.Code(n).Known() {
		return vkerr.LookupStreaming(vkerr.StreamingCode(n))
	}
	return vkerr.StreamingInfo{}, false
}

// streamingAlso is the hint after an API code whose number the Streaming
// API uses too.
func streamingAlso(w io.Writer, code vkerr.Code, lang string) {
	if !vkerr.StreamingCode(code).Known() {
		return
	}
	if lang == "ru" {
		fmt.Fprintf(w, "\nУ Streaming API есть своя ошибка %d: vk explain streaming:%d\n", code, code)
		return
	}
	fmt.Fprintf(w, "\nThe Streaming API has an error %d of its own: vk explain streaming:%d\n", code, code)
}

// printStreamingInfo prints the entry of a Streaming code.
func printStreamingInfo(w io.Writer, info vkerr.StreamingInfo, lang string) {
	l := labels[lang]
	family := map[string]string{"en": "a Streaming API error, not an API error", "ru": "ошибка Streaming API, не ошибка API"}[lang]
	fmt.Fprintf(w, "%d %s (%s): %s\n\n", info.Code, info.GoName, info.Name, family)
	row := func(label, value string) { fmt.Fprintf(w, "%-13s %s\n", pad(label), value) }
	messageRows(row, l, lang, info.Message(lang), info.MessageEN, info.Category, info.Retry)
	row(l[4], info.Remedy(lang))
	row(l[6], info.Doc)
}

// describeStreaming fills a decoded error from a Streaming API error.
func describeStreaming(d decoded, e *vkerr.StreamingError, lang string) decoded {
	info := e.Code.Info()
	d.Code, d.Name, d.Message = int(e.Code), info.Name, vkerr.RedactString(e.Message)
	d.Category, d.Remedy = info.Category.String(), info.Remedy(lang)
	if d.Message == "" {
		d.Message = info.Message(lang)
	}
	return d
}

// streamingBody reports whether body is an answer of the Streaming API,
// whose errors come with HTTP 400: vk decode explains them as such, not as
// an HTTP failure.
func streamingBody(body []byte) bool {
	rep, err := vkerr.Inspect(body)
	return err == nil && rep.Shape == vkerr.ShapeStreaming
}
