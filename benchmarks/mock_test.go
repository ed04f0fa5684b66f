package benchmarks

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock"
)

// rig is the in-process vkmock every benchmark here runs against, served
// with net/http on loopback. It is the one place that reaches the mock's
// Go API, so a change of that API changes only this file.
type rig struct {
	mock    *vkmock.Server
	root    string
	stop    context.CancelFunc
	stopped chan struct{}
}

// newRig starts a vkmock on loopback (its own net/http server) with rate
// limits off, a small request log, and Bots Long Poll on for its community
// with a history that holds historyEvents events (answers of at most 100
// updates, the mock's default). It stops at the end of the benchmark, or
// earlier with close.
func newRig(b *testing.B, historyEvents int) *rig {
	b.Helper()
	m := vkmock.MustNew(vkmock.WithRateLimits(false), vkmock.WithRequestLogSize(16))
	if err := m.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		b.Fatal(err)
	}
	m.LongPoll().SetConfig(vkmock.LongPollConfig{HistoryEvents: historyEvents, HistoryBytes: 1 << 30, TotalBytes: 1 << 30})
	// The drains queue their events before the client starts: VK's window
	// of 256 events (failed 1 past it) would measure the history instead
	// of a_check, for the bare loop and the client alike.
	m.UserLongPoll().SetConfig(vkmock.UserLongPollConfig{TSWindow: historyEvents})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{mock: m, root: "http://" + ln.Addr().String(), stop: cancel, stopped: make(chan struct{})}
	go func() {
		defer close(r.stopped)
		_ = m.Serve(ctx, ln, nil, time.Second)
	}()
	b.Cleanup(r.close)
	return r
}

// close stops the mock's server and waits for it (again: nothing).
func (r *rig) close() {
	r.stop()
	<-r.stopped
	r.mock.Close()
}

// url is the root of the mock, such as http://127.0.0.1:41234.
func (r *rig) url() string { return r.root }

// groupToken is the access token of the mock's community.
func (r *rig) groupToken() string { return r.mock.Tokens().Of(vkmock.TokenGroup).Token }

// userToken is the access token of one of the mock's users.
func (r *rig) userToken() string { return r.mock.Tokens().Of(vkmock.TokenUser).Token }

// groupID is the mock's community.
func (r *rig) groupID() int64 { return vkmock.DefaultGroupID }

// inbox writes a message from a user to the community: a message_new in
// its Long Poll history.
func (r *rig) inbox(b *testing.B, text string) {
	if _, err := r.mock.World().Inbox(vkmock.InboxMessage{FromID: 7, GroupID: vkmock.DefaultGroupID, Text: text}); err != nil {
		b.Fatal(err)
	}
}

// messageNewObject is the object of a message_new the mock emits for an
// inbox message (through its Long Poll, from the history's start).
func (r *rig) messageNewObject(b *testing.B) json.RawMessage {
	r.inbox(b, "Добрый день! Чем помочь?")
	var srv struct {
		Response struct{ Key, Server string } `json:"response"`
	}
	resp, err := http.PostForm(r.url()+"/method/groups.getLongPollServer", url.Values{
		"group_id": {strconv.FormatInt(r.groupID(), 10)}, "access_token": {r.groupToken()}, "v": {"5.199"}})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&srv); err != nil {
		b.Fatal(err)
	}
	a, err := http.Get(srv.Response.Server + "?act=a_check&wait=1&ts=0&key=" + url.QueryEscape(srv.Response.Key))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Body.Close()
	var ans struct{ Updates []bareEvent }
	if err := json.NewDecoder(a.Body).Decode(&ans); err != nil || len(ans.Updates) == 0 {
		b.Fatalf("a_check: %v", err)
	}
	return ans.Updates[len(ans.Updates)-1].Object
}

// userID is the user of the mock's user token.
func (r *rig) userID() int64 { return r.mock.Tokens().Of(vkmock.TokenUser).UserID }

// userMessage appends a new-message update (code 4) to the user's User
// Long Poll stream.
func (r *rig) userMessage(b *testing.B, i int) {
	up := []json.RawMessage{json.RawMessage("4"), json.RawMessage(strconv.Itoa(100000 + i)), json.RawMessage("1"),
		json.RawMessage("7"), json.RawMessage("1700000000"), json.RawMessage(strconv.Quote("message " + strconv.Itoa(i))),
		json.RawMessage(`{"title":""}`), json.RawMessage(`{}`)}
	if err := r.mock.UserLongPoll().Inject(vkmock.UserUpdate{UserID: r.userID(), Update: up}); err != nil {
		b.Fatal(err)
	}
}
