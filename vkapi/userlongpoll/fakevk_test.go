package userlongpoll

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/vkerr/vkerr/vkapi"
)

// fakeVK is a User Long Poll server of the test's own: its a_check
// answers {"failed":1} until the history was read to its end, and its
// messages.getLongPollHistory pages the missed updates pageSize at a time
// with more and new_pts, as VK does when more than a page was missed. Its
// ts moves by one per page, not per update, as VK's ts need not count them.
type fakeVK struct {
	*httptest.Server
	missed   int   // updates after startPTS
	startPTS int64 // the pts the poller starts from
	pageSize int
	// historyErr, when not 0, is the error code of every history request.
	historyErr int

	mu        sync.Mutex
	recovered bool // the last page was served
	pages     int
}

const fakeStartTS = 100

// The caller closes it.
func newFakeVK(missed, pageSize int) *fakeVK {
	f := &fakeVK{missed: missed, startPTS: 1000, pageSize: pageSize}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// client is an unlimited user-token client of f with a transport of its
// own; closeAPI closes the client and the transport's idle connections,
// deferred by a test before its leak check runs.
func (f *fakeVK) client() (api *vkapi.Client, closeAPI func()) {
	tr := &http.Transport{}
	api = vkapi.New("token", vkapi.WithBaseURL(f.URL), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}),
		vkapi.WithHTTPClient(&http.Client{Transport: tr}))
	return api, func() {
		_ = api.Close()
		tr.CloseIdleConnections()
	}
}

func (f *fakeVK) reply(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(map[string]any{"response": v})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (f *fakeVK) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	lastTS := fakeStartTS + 1 + (f.missed+f.pageSize-1)/f.pageSize
	switch r.URL.Path {
	case "/method/users.get":
		f.reply(w, []map[string]any{{"id": 1}})
	case "/method/messages.getLongPollServer":
		f.reply(w, map[string]any{"key": "k", "server": strings.TrimPrefix(f.URL, "http://") + "/lp", "ts": lastTS,
			"pts": f.startPTS + int64(f.missed)})
	case "/method/messages.getLongPollHistory":
		if f.historyErr != 0 {
			f.recovered = true
			w.Write([]byte(`{"error":{"error_code":` + strconv.Itoa(f.historyErr) + `,"error_msg":"Value of ts or pts is too old","request_params":[]}}`))
			return
		}
		pts, _ := strconv.ParseInt(r.Form.Get("pts"), 10, 64)
		from := int(pts - f.startPTS)
		n := min(f.pageSize, f.missed-from)
		hist, items := []any{}, []any{}
		for i := range n {
			id := from + i + 1
			hist = append(hist, []any{4, id, 1, 2000000000 + id%7, 1700000000, "m" + strconv.Itoa(id)})
			items = append(items, map[string]any{"id": id, "text": "m" + strconv.Itoa(id)})
		}
		more := from+n < f.missed
		f.pages++
		ans := map[string]any{"history": hist, "messages": map[string]any{"count": n, "items": items},
			"new_pts": pts + int64(n), "more": more}
		if !more {
			f.recovered = true
			ans["credentials"] = map[string]any{"key": "k2", "server": strings.TrimPrefix(f.URL, "http://") + "/lp", "ts": lastTS}
		}
		f.reply(w, ans)
	case "/lp":
		if !f.recovered {
			w.Write([]byte(`{"failed":1,"ts":` + strconv.Itoa(lastTS) + `}`))
			return
		}
		f.mu.Unlock()
		<-r.Context().Done() // nothing new: the poll waits until the poller closes
		f.mu.Lock()
	default:
		http.NotFound(w, r)
	}
}
