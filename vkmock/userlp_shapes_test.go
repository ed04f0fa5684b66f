package vkmock

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// userUpdates is the updates of an a_check answer.
func userUpdates(t *testing.T, body string) [][]json.RawMessage {
	t.Helper()
	var ans struct {
		Updates [][]json.RawMessage `json:"updates"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatalf("a_check: %v: %s", err, body)
	}
	return ans.Updates
}

// TestUserLongPollModeBits: 2 adds the attachments object to 4 and 5,
// 128 random_id (after the attachments when both are asked, in their
// place when 2 is not), 64 the platform to 8, 32 the pts; 8 changes
// nothing (every event is sent).
func TestUserLongPollModeBits(t *testing.T) {
	s := testServer(t)
	srv := userLP(t, s)
	s.world.UserMessageUpdate(DefaultUserID, Message{ID: 41, FromID: WorldFriendID, PeerID: DefaultUserID, Date: 100, Message: "x", RandomID: 9}, 4)
	_ = s.ulp.Update(DefaultUserID, []any{8, -WorldFriendID, world.OnlinePlatformWeb, 100}, nil, false)
	friend := strconv.FormatInt(WorldFriendID, 10)
	for _, c := range []struct {
		mode     int
		msg, onl string
		pts      bool
	}{
		{0, `[4,41,1,` + friend + `,100,"x",{}]`, `[8,-` + friend + `,0,100]`, false},
		{2, `[4,41,1,` + friend + `,100,"x",{},{}]`, `[8,-` + friend + `,0,100]`, false},
		{8, `[4,41,1,` + friend + `,100,"x",{}]`, `[8,-` + friend + `,0,100]`, false},
		{2 | 8, `[4,41,1,` + friend + `,100,"x",{},{}]`, `[8,-` + friend + `,0,100]`, false},
		{128, `[4,41,1,` + friend + `,100,"x",{},9]`, `[8,-` + friend + `,0,100]`, false},
		{2 | 128, `[4,41,1,` + friend + `,100,"x",{},{},9]`, `[8,-` + friend + `,0,100]`, false},
		{64, `[4,41,1,` + friend + `,100,"x",{}]`, `[8,-` + friend + `,7,100]`, false},
		{32, `[4,41,1,` + friend + `,100,"x",{}]`, `[8,-` + friend + `,0,100]`, true},
		{2 | 8 | 32 | 64 | 128, `[4,41,1,` + friend + `,100,"x",{},{},9]`, `[8,-` + friend + `,7,100]`, true},
	} {
		body := userCheck(t, s, srv, srv.TS, "&version=3&mode="+strconv.Itoa(c.mode))
		ups := userUpdates(t, body)
		var ans map[string]json.RawMessage
		_ = json.Unmarshal([]byte(body), &ans)
		if _, pts := ans["pts"]; len(ups) != 2 || string(jsonArray(ups[0])) != c.msg || string(jsonArray(ups[1])) != c.onl || pts != c.pts {
			t.Errorf("mode %d: %s", c.mode, body)
		}
	}
}

func jsonArray(els []json.RawMessage) []byte {
	b, _ := json.Marshal(els)
	return b
}

// vkioMessage is a new message as a client written as vk-io reads User
// Long Poll version 19: code 10004, [cmid, flags, minor_id, peer_id,
// timestamp, text, extra, attachments, random_id, message_id, ...].
type vkioMessage struct {
	ID, ConversationMessageID, PeerID, Date, RandomID int64
	Text                                              string
}

// vkioNewMessages decodes the new messages of updates as that client
// does; other codes it does not know are skipped, as it skips them.
func vkioNewMessages(ups [][]json.RawMessage) []vkioMessage {
	var out []vkioMessage
	for _, u := range ups {
		var code int
		if len(u) < 11 || json.Unmarshal(u[0], &code) != nil || code != 10004 {
			continue
		}
		var m vkioMessage
		_ = json.Unmarshal(u[1], &m.ConversationMessageID)
		_ = json.Unmarshal(u[4], &m.PeerID)
		_ = json.Unmarshal(u[5], &m.Date)
		_ = json.Unmarshal(u[6], &m.Text)
		_ = json.Unmarshal(u[9], &m.RandomID)
		_ = json.Unmarshal(u[10], &m.ID)
		out = append(out, m)
	}
	return out
}

// TestUserLongPollVersion19: a client that speaks version 19 as vk-io
// does reads the world's messages from an a_check and a history of
// version 19, and finds none in version 3's arrays; 10002/10003 and
// 10006/10007 have their version-19 layout; a version the mock does not
// serve is refused with failed 4 and its bounds.
func TestUserLongPollVersion19(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	m := Message{ID: 41, FromID: WorldFriendID, PeerID: DefaultUserID, Date: 100, Message: "hi", RandomID: 9}
	s.world.UserMessageUpdate(DefaultUserID, m, 4)
	_ = s.ulp.Update(DefaultUserID, []any{2, 41, world.FlagImportant, WorldFriendID}, nil, false)
	_ = s.ulp.Update(DefaultUserID, []any{6, WorldFriendID, 41}, nil, false)
	want := vkioMessage{ID: 41, ConversationMessageID: 41, PeerID: WorldFriendID, Date: 100, RandomID: 9, Text: "hi"}

	v19 := userUpdates(t, userCheck(t, s, srv, srv.TS, "&version=19&mode=234"))
	if got := vkioNewMessages(v19); len(got) != 1 || got[0] != want {
		t.Fatalf("version 19 as vk-io reads it: %+v", got)
	}
	friend := strconv.FormatInt(WorldFriendID, 10)
	if len(v19) != 3 || string(jsonArray(v19[1])) != `[10002,41,8,`+friend+`]` || string(jsonArray(v19[2])) != `[10006,`+friend+`,41,0]` {
		t.Fatalf("version 19 updates: %s", jsonArray(v19[1]))
	}
	if got := vkioNewMessages(userUpdates(t, userCheck(t, s, srv, srv.TS, "&version=3&mode=234"))); len(got) != 0 {
		t.Fatalf("version 3's arrays read as version 19: %+v", got)
	}
	h := history(t, s, "pts", strconv.FormatInt(srv.PTS, 10), "lp_version", "19")
	if got := vkioNewMessages(h.History); len(got) != 1 || got[0] != want {
		t.Fatalf("a version-19 history as vk-io reads it: %+v", got)
	}
	for _, v := range []string{"0", "2", "10", "20", "x"} {
		if b := userCheck(t, s, srv, srv.TS, "&version="+v); b != `{"failed":4,"min_version":3,"max_version":19}` {
			t.Errorf("version %s: %s", v, b)
		}
	}
}
