package world

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

func TestSeededWorldIsDeterministic(t *testing.T) {
	a, _ := newTestRoom(t, Limits{})
	b, _ := newTestRoom(t, Limits{})
	if !reflect.DeepEqual(a.Snapshot(), b.Snapshot()) {
		t.Fatal("one seed made two worlds")
	}
	c := New(Deps{Clock: a.deps.Clock, Seed: 2, Owner: testOwner, Community: testCommunity})
	if reflect.DeepEqual(a.Snapshot(), c.Snapshot()) {
		t.Fatal("two seeds made one world")
	}
	if u, ok := a.User(123); !ok || u != DerivedUser(1, 123) || u.FirstName == "" || (u.Sex != 1 && u.Sex != 2) {
		t.Fatalf("derived user %+v", u)
	}
	if _, ok := a.User(0); ok {
		t.Fatal("user 0 exists")
	}
	if _, ok := a.Group(MaxGroupID + 1); ok {
		t.Fatal("a community past MaxGroupID exists")
	}
	for name, want := range map[string]int64{"mock_owner": testOwner, "mock_community": -testCommunity, "id42": 42, "club7": -7, "public8": -8} {
		if id, ok := a.ResolveName(name); !ok || id != want {
			t.Errorf("ResolveName(%q) = %d, %v; want %d", name, id, ok, want)
		}
	}
	for _, name := range []string{"nobody_here", "id0", "id01", "club+1", "id2000000000"} {
		if id, ok := a.ResolveName(name); ok {
			t.Errorf("ResolveName(%q) = %d", name, id)
		}
	}
}

func TestPutValidatesAndBounds(t *testing.T) {
	r, _ := newTestRoom(t, Limits{})
	bad := []error{
		r.PutUser(User{ID: 0}),
		r.PutUser(User{ID: 5, ScreenName: "id5"}),
		r.PutUser(User{ID: 5, ScreenName: "no spaces"}),
		r.PutUser(User{ID: 5, Deactivated: "gone"}),
		r.PutUser(User{ID: 5, FirstName: strings.Repeat("x", maxText+1)}),
		r.PutGroup(Group{ID: 5, IsClosed: 3}),
		r.PutGroup(Group{ID: 5, Type: "club"}),
		r.PutGroup(Group{ID: 5, Members: make([]int64, MaxEntities+1)}),
		r.PutAlbum(Album{ID: 5}),
		r.PutAlbum(Album{ID: 5, OwnerID: 1, Size: -1}),
	}
	for i, err := range bad {
		if err == nil {
			t.Errorf("bad entity %d accepted", i)
		}
	}
	if _, err := r.AddPost(Post{Text: "x"}); err == nil {
		t.Error("a post without an owner was added")
	}
	// A new screen name frees the old one.
	if err := r.PutUser(User{ID: 5, FirstName: "A", ScreenName: "ann"}); err != nil {
		t.Fatal(err)
	}
	if err := r.PutUser(User{ID: 5, FirstName: "A", ScreenName: "anna"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.ResolveName("ann"); ok {
		t.Fatal("the old screen name still resolves")
	}
	v := r.Version()
	added := 0
	for i := range MaxEntities + 10 {
		if r.PutAlbum(Album{ID: int64(1000 + i), OwnerID: 1}) == nil {
			added++
		}
	}
	if n := len(r.Snapshot().Albums); n != MaxEntities || added >= MaxEntities || r.Version() == v {
		t.Fatalf("%d albums (%d added), want MaxEntities", n, added)
	}
	// A configuration's invalid entity is refused by Reset.
	if err := r.Reset(&World{Users: []User{{ID: -1}}}); err == nil {
		t.Fatal("Reset took an invalid user")
	}
	if err := r.Reset(&World{Users: []User{{ID: 123, FirstName: "Config"}}}); err != nil {
		t.Fatal(err)
	}
	if u, _ := r.User(123); u.FirstName != "Config" || len(r.Snapshot().Albums) != 2 {
		t.Fatalf("after Reset: %+v, %d albums", u, len(r.Snapshot().Albums))
	}
}

// Posts are bounded by count and bytes, the oldest of all walls evicted
// first; Posted hears of every post added.
func TestPostsEvictedOldestFirst(t *testing.T) {
	r, _ := newTestRoom(t, Limits{Posts: 25, PostBytes: 8 << 10})
	var posted []int64
	r.deps.Posted = func(p Post, id int64) { posted = append(posted, id) }
	for i := range 60 {
		if _, err := r.AddPost(Post{OwnerID: int64(1 + i%3), Text: fmt.Sprintf("post %d %s", i, strings.Repeat("p", 200))}); err != nil {
			t.Fatal(err)
		}
	}
	use := r.Usage()
	snap := r.Snapshot().Posts
	if len(snap) > 25 || use.Posts != len(snap) || use.PostBytes > 8<<10 || len(posted) != 60 {
		t.Fatalf("%d posts (%+v), %d told, want at most 25 and 8 KiB, 60 told", len(snap), use, len(posted))
	}
	out := mustCall(t, r, userTok, "wall.get", "owner_id", "3", "count", "1")
	if !strings.Contains(out, "post 59 ") {
		t.Fatalf("the newest post is gone: %s", out)
	}
}

// messages.send keeps a random_id per sender and peer while its message
// is kept; an evicted message forgets it.
func TestMessagesDedupAndEviction(t *testing.T) {
	r, _ := newTestRoom(t, Limits{Messages: 3, MessageBytes: 1 << 20})
	send := func(rid int, text string) string {
		return mustCall(t, r, userTok, "messages.send", "peer_id", "1", "random_id", strconv.Itoa(rid), "message", text)
	}
	for i := 1; i <= 5; i++ {
		send(i, fmt.Sprint("m", i))
	}
	ms := r.Messages()
	if len(ms) != 3 || ms[0].Message != "m3" || ms[2].Message != "m5" || ms[0].Date != testTime.Unix() {
		t.Fatalf("messages %+v, want m3..m5", ms)
	}
	if got := send(1, "again"); got != "6" {
		t.Fatalf("resend of an evicted random_id: %s", got)
	}
	if got := send(5, "again"); got != "5" {
		t.Fatalf("resend of a kept random_id: %s", got)
	}
	r.ClearMessages()
	if len(r.Messages()) != 0 || send(5, "after clear") != "7" {
		t.Fatal("ClearMessages kept messages or random_ids")
	}
	big, _ := newTestRoom(t, Limits{Messages: 100, MessageBytes: 4 << 10})
	for range 20 {
		mustCall(t, big, userTok, "messages.send", "peer_id", "1", "message", strings.Repeat("m", 1000))
	}
	if use := big.Usage(); use.Messages > 4 || use.MessageBytes > 4<<10 {
		t.Fatalf("%+v, want at most 4 KiB", use)
	}
}

func TestMethodErrors(t *testing.T) {
	r, _ := newTestRoom(t, Limits{})
	for _, c := range []struct {
		method string
		tok    string
		kv     []string
		code   vkerr.Code
	}{
		{"users.get", "u", []string{"user_ids", "nobody_here"}, vkerr.ParamUserID},
		{"groups.getById", "u", nil, vkerr.Param},
		{"wall.get", "f", []string{"owner_id", strconv.FormatInt(PrivateUserID, 10)}, vkerr.PrivateProfile},
		{"wall.get", "u", []string{"owner_id", strconv.FormatInt(DeletedUserID, 10)}, vkerr.UserDeleted},
		{"wall.get", "f", []string{"owner_id", strconv.FormatInt(-ClosedGroupID, 10)}, vkerr.Access},
		{"wall.get", "u", []string{"owner_id", strconv.FormatInt(-PrivateGroupID, 10)}, vkerr.AccessGroup},
		{"wall.post", "u", []string{"owner_id", strconv.FormatInt(PrivateUserID, 10), "message", "x"}, vkerr.WallAddPost},
		{"wall.post", "u", []string{"message", " "}, vkerr.Param},
		{"photos.getUploadServer", "u", []string{"album_id", strconv.FormatInt(FullAlbumID, 10)}, vkerr.AlbumFull},
		{"photos.getUploadServer", "f", []string{"album_id", strconv.FormatInt(MainAlbumID, 10)}, vkerr.AccessAlbum},
		{"messages.send", "u", []string{"peer_id", strconv.FormatInt(PrivateUserID, 10), "message", "x"}, vkerr.MessagesPrivacy},
		{"messages.send", "u", []string{"peer_id", "1", "message", "x", "attachment", "photo1"}, vkerr.Param},
		{"messages.send", "u", []string{"message", "x"}, vkerr.Param},
		{"messages.getById", "u", []string{"message_ids", "x"}, vkerr.Param},
		{"account.setOnline", "g", nil, vkerr.Method},
		{"groups.getLongPollServer", "f", []string{"group_id", strconv.FormatInt(testCommunity, 10)}, vkerr.Access},
		{"groups.getLongPollServer", "g", []string{"group_id", strconv.FormatInt(testCommunity, 10)}, vkerr.Param},
		{"groups.setLongPollSettings", "g", []string{"group_id", strconv.FormatInt(testCommunity, 10), "api_version", "x"}, vkerr.Param},
	} {
		tok := map[string]core.Token{"u": userTok, "f": friendTok, "g": groupTok}[c.tok]
		if _, e := call(t, r, tok, c.method, c.kv...); e == nil || e.Code != c.code {
			t.Errorf("%s %v: %v, want %d", c.method, c.kv, e, c.code)
		}
	}
	// Long Poll off answers VK's words; on, a key.
	_, e := call(t, r, groupTok, "groups.getLongPollServer", "group_id", strconv.FormatInt(testCommunity, 10))
	if !strings.HasSuffix(e.Message, ": longpoll for this group is not enabled") {
		t.Fatalf("Long Poll off: %q", e.Message)
	}
	mustCall(t, r, userTok, "groups.setLongPollSettings", "group_id", strconv.FormatInt(testCommunity, 10), "enabled", "1", "message_new", "1")
	var srv struct{ Key, Server, TS string }
	if err := json.Unmarshal([]byte(mustCall(t, r, groupTok, "groups.getLongPollServer", "group_id", strconv.FormatInt(testCommunity, 10))), &srv); err != nil ||
		srv.Key != "key" || srv.Server != "http://vk.test/lp/wh200000001" || srv.TS != "1" {
		t.Fatalf("getLongPollServer: %+v, %v", srv, err)
	}
	var ls struct {
		Enabled bool           `json:"is_enabled"`
		Events  map[string]int `json:"events"`
	}
	if json.Unmarshal([]byte(mustCall(t, r, groupTok, "groups.getLongPollSettings", "group_id", strconv.FormatInt(testCommunity, 10))), &ls) != nil ||
		!ls.Enabled || ls.Events["message_new"] != 1 || ls.Events["message_reply"] != 0 {
		t.Fatalf("getLongPollSettings: %+v", ls)
	}
}
