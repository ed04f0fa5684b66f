package vkmock

import (
	"encoding/json"
	"strconv"
	"testing"
)

// The seeded community is a configured bot at start and after Reset;
// another community starts with Long Poll off, and getLongPollServer then
// answers 100 with VK's words.
func TestSeededCommunityIsABot(t *testing.T) {
	s := testServer(t)
	for round := range 2 {
		ls := s.LongPoll().Settings(DefaultGroupID)
		if !ls.Enabled || ls.APIVersion != "5.199" || !ls.Events["message_new"] || !ls.Events["wall_post_new"] || ls.Events["confirmation"] {
			t.Fatalf("round %d: seeded settings %+v", round, ls)
		}
		getServer(t, s, s.Tokens().Of(TokenGroup).Token)
		if err := s.LongPoll().SetSettings(LongPollSettings{GroupID: DefaultGroupID, Enabled: false}); err != nil {
			t.Fatal(err)
		}
		s.Reset()
	}
	other, err := s.Tokens().Create(Token{Kind: TokenGroup, GroupID: WorldClosedGroupID})
	if err != nil {
		t.Fatal(err)
	}
	if s.LongPoll().Settings(WorldClosedGroupID).Enabled {
		t.Fatal("a later community starts with Long Poll on")
	}
	a := call(t, s, "groups.getLongPollServer", vals("group_id", strconv.FormatInt(WorldClosedGroupID, 10), "access_token", other.Token, "v", "5.199"))
	wantError(t, a, 100, "One of the parameters specified was missing or invalid: longpoll for this group is not enabled")
}

// What a bot sent, attachments included, shows in GET /__vkmock/messages
// and comes back from messages.getById in the schema's shape, to the
// sender and to the recipient (seen from its side); others see nothing.
func TestMessagesReadBack(t *testing.T) {
	s := testServer(t)
	group := s.Tokens().Of(TokenGroup).Token
	user := s.Tokens().Of(TokenUser).Token
	a := worldCall(t, s, "messages.send", group, "peer_id", strconv.FormatInt(DefaultUserID, 10), "message", "see this",
		"attachment", "photo100000001_5, doc-200000001_7_abc", "random_id", "1")
	if a.code() != 0 {
		t.Fatalf("send: %s", a.body)
	}
	id := string(a.env.Response)
	var ms []Message
	if code := controlCall(t, s, "GET", "/__vkmock/messages", nil, &ms); code != 200 || len(ms) != 1 || len(ms[0].Attachments) != 2 || ms[0].Attachments[1] != "doc-200000001_7_abc" {
		t.Fatalf("GET /__vkmock/messages: %d %+v", code, ms)
	}
	type item struct {
		ID          int64  `json:"id"`
		Out         int    `json:"out"`
		PeerID      int64  `json:"peer_id"`
		Text        string `json:"text"`
		Attachments []struct {
			Type string `json:"type"`
			Doc  *struct {
				ID        int64  `json:"id"`
				OwnerID   int64  `json:"owner_id"`
				AccessKey string `json:"access_key"`
			} `json:"doc"`
		} `json:"attachments"`
	}
	var r struct {
		Count int    `json:"count"`
		Items []item `json:"items"`
	}
	for _, c := range []struct {
		token     string
		out       int
		peer      int64
		wantCount int
	}{{group, 1, DefaultUserID, 1}, {user, 0, -DefaultGroupID, 1}, {s.Tokens().Of(TokenService).Token, 0, 0, 0}} {
		a := worldCall(t, s, "messages.getById", c.token, "message_ids", id+",999")
		if c.token == s.Tokens().Of(TokenService).Token {
			if a.code() == 0 {
				t.Fatalf("service token read messages: %s", a.body)
			}
			continue
		}
		if a.code() != 0 || json.Unmarshal(a.env.Response, &r) != nil || r.Count != c.wantCount {
			t.Fatalf("getById: %s", a.body)
		}
		it := r.Items[0]
		if it.Out != c.out || it.PeerID != c.peer || it.Text != "see this" || len(it.Attachments) != 2 || it.Attachments[0].Type != "photo" ||
			it.Attachments[1].Doc == nil || it.Attachments[1].Doc.OwnerID != -DefaultGroupID || it.Attachments[1].Doc.AccessKey != "abc" {
			t.Fatalf("getById item: %s", a.body)
		}
	}
	friend, err := s.Tokens().Create(Token{Kind: TokenUser, UserID: WorldFriendID})
	if err != nil {
		t.Fatal(err)
	}
	if a := worldCall(t, s, "messages.getById", friend.Token, "message_ids", id); a.code() != 0 || string(a.env.Response) != `{"count":0,"items":[]}` {
		t.Fatalf("a stranger's getById: %s", a.body)
	}
	wantError(t, call(t, s, "messages.send", vals("peer_id", "1", "message", "x", "attachment", "photo1", "access_token", group, "v", "5.199")),
		100, "One of the parameters specified was missing or invalid: attachment is invalid")
}
