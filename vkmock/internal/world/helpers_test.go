package world

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

const (
	testOwner     int64 = 100000001
	testCommunity int64 = 200000001
)

var testTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type botEvent struct {
	group  int64
	typ    vkevent.Type
	object map[string]any
}

type userUpdate struct {
	user   int64
	update string // the array as JSON
	msg    bool
}

// recorder is the Events and LongPoll of a room under test.
type recorder struct {
	mu       sync.Mutex
	bots     []botEvent
	users    []userUpdate
	refuse   bool // Bot fails, as past the bound on communities
	settings map[int64]LongPollSettings
	keys     int
	online   map[int64]bool
}

func (e *recorder) Bot(groupID int64, typ vkevent.Type, object []byte) (Emitted, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refuse {
		return Emitted{}, errors.New("too many communities")
	}
	var o map[string]any
	if err := json.Unmarshal(object, &o); err != nil {
		panic("an event object is not a JSON object: " + string(object))
	}
	e.bots = append(e.bots, botEvent{groupID, typ, o})
	return Emitted{GroupID: groupID, TS: int64(len(e.bots)), EventID: "e", Type: typ, Time: testTime}, nil
}

func (e *recorder) User(userID int64, update []any, msg json.RawMessage) {
	b, err := json.Marshal(update)
	if err != nil {
		panic(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.users = append(e.users, userUpdate{userID, string(b), msg != nil})
}

func (e *recorder) Settings(groupID int64) LongPollSettings {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ls, ok := e.settings[groupID]; ok {
		return ls
	}
	return LongPollSettings{GroupID: groupID, APIVersion: "5.199", Events: map[string]bool{}}
}

func (e *recorder) SetSettings(ls LongPollSettings) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settings[ls.GroupID] = ls
	return nil
}

func (e *recorder) NewKey(groupID int64) (string, int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys++
	return "key", int64(e.keys), nil
}

func (e *recorder) SetOnline(userID int64, online bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := e.online[userID] != online
	e.online[userID] = online
	return changed
}

// take returns and forgets what was recorded.
func (e *recorder) take() ([]botEvent, []userUpdate) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, u := e.bots, e.users
	e.bots, e.users = nil, nil
	return b, u
}

func newTestRoom(t testing.TB, lim Limits) (*Room, *recorder) {
	t.Helper()
	rec := &recorder{settings: map[int64]LongPollSettings{}, online: map[int64]bool{}}
	r := New(Deps{
		Clock:     core.NewClock(func() time.Time { return testTime }),
		Seed:      1,
		Limits:    lim,
		Owner:     testOwner,
		Community: testCommunity,
		Events:    rec,
		LongPoll:  rec,
		AlbumUploadServer: func(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
			return []byte(`{"upload_url":"u"}`), nil
		},
	})
	return r, rec
}

var (
	userTok   = core.Token{Token: "u", Kind: vkerr.KindUser, UserID: testOwner, Scopes: []string{"messages", "wall"}}
	friendTok = core.Token{Token: "f", Kind: vkerr.KindUser, UserID: FriendID}
	groupTok  = core.Token{Token: "g", Kind: vkerr.KindGroup, GroupID: testCommunity}
)

// call runs a world method with parameters given as key, value pairs.
func call(t testing.TB, r *Room, tok core.Token, method string, kv ...string) (string, *vkerr.Error) {
	t.Helper()
	q := &core.Request{Name: method, Host: "vk.test", HasToken: true}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Params = append(q.Params, core.KV{Key: kv[i], Value: kv[i+1]})
	}
	h := r.Methods()[method]
	if h == nil {
		t.Fatalf("%s is not a world method", method)
	}
	b, e := h(q, tok)
	return string(b), e
}

// mustCall is call that fails the test on an error.
func mustCall(t testing.TB, r *Room, tok core.Token, method string, kv ...string) string {
	t.Helper()
	b, e := call(t, r, tok, method, kv...)
	if e != nil {
		t.Fatalf("%s: %v", method, e)
	}
	return b
}

// form reads a query string as key, value pairs for call.
func form(s string) []string {
	var out []string
	for pair := range strings.SplitSeq(s, "&") {
		k, v, _ := strings.Cut(pair, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		out = append(out, k, v)
	}
	return out
}
