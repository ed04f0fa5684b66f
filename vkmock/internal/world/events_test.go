package world

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

// The community's own messages.send, messages.edit and wall.post emit
// message_reply, message_edit and wall_post_new; a user's post does not.
func TestCommunityActionsEmit(t *testing.T) {
	r, rec := newTestRoom(t, Limits{})
	mid := mustCall(t, r, groupTok, "messages.send", "peer_id", id(FriendID), "message", "hi", "random_id", "7", "attachment", "photo1_2")
	mustCall(t, r, groupTok, "messages.send", "peer_id", id(FriendID), "message", "hi", "random_id", "7") // deduplicated: no event
	mustCall(t, r, groupTok, "messages.edit", "peer_id", id(FriendID), "message_id", mid, "message", "hello")
	mustCall(t, r, groupTok, "wall.post", "owner_id", id(-testCommunity), "from_group", "1", "message", "news")
	mustCall(t, r, userTok, "wall.post", "message", "mine")
	bots, users := rec.take()
	if len(users) != 0 || len(bots) != 3 {
		t.Fatalf("events %+v, updates %+v", bots, users)
	}
	for i, want := range []vkevent.Type{vkevent.TypeMessageReply, vkevent.TypeMessageEdit, vkevent.TypeWallPostNew} {
		if bots[i].typ != want || bots[i].group != testCommunity {
			t.Fatalf("event %d: %s of %d, want %s", i, bots[i].typ, bots[i].group, want)
		}
	}
	if o := bots[0].object; o["text"] != "hi" || o["peer_id"] != float64(FriendID) || o["from_id"] != float64(-testCommunity) || o["out"] != float64(1) ||
		len(o["attachments"].([]any)) != 1 {
		t.Fatalf("message_reply %v", o)
	}
	if o := bots[1].object; o["text"] != "hello" || o["update_time"] != float64(testTime.Unix()) {
		t.Fatalf("message_edit %v", o)
	}
	if o := bots[2].object; o["text"] != "news" || o["from_id"] != float64(-testCommunity) || o["created_by"] != float64(-testCommunity) {
		t.Fatalf("wall_post_new %v", o)
	}
	// Every object is one the schema accepts.
	for _, b := range bots {
		obj, _ := json.Marshal(b.object)
		ev := vkevent.Event{Type: b.typ, GroupID: b.group, Object: obj}
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: %v", b.typ, err)
		}
	}
	// Another's message cannot be edited; past the bound on communities
	// the send succeeds without an event.
	if _, e := call(t, r, userTok, "messages.edit", "peer_id", id(FriendID), "message_id", mid, "message", "x"); e == nil {
		t.Fatal("a user edited the community's message")
	}
	rec.refuse = true
	mustCall(t, r, groupTok, "messages.send", "peer_id", id(FriendID), "message", "lost")
	if bots, _ := rec.take(); len(bots) != 0 {
		t.Fatalf("events past the bound: %+v", bots)
	}
}

// A user's actions are User Long Poll updates to both sides, with VK's
// codes and flags; towards a community they are its events.
func TestUserActionsUpdate(t *testing.T) {
	r, rec := newTestRoom(t, Limits{})
	mid := mustCall(t, r, userTok, "messages.send", "peer_id", id(FriendID), "message", "hi")
	mustCall(t, r, friendTok, "messages.markAsRead", "peer_id", id(testOwner))
	mustCall(t, r, userTok, "messages.markAsImportant", "message_ids", mid, "important", "1")
	mustCall(t, r, userTok, "messages.setActivity", "peer_id", id(FriendID), "type", "typing")
	mustCall(t, r, userTok, "messages.delete", "message_ids", mid, "delete_for_all", "1")
	_, users := rec.take()
	want := []userUpdate{
		{testOwner, `[4,1,2,100000002,` + id(testTime.Unix()) + `,"hi",{},{},0]`, true},
		{FriendID, `[4,1,1,100000001,` + id(testTime.Unix()) + `,"hi",{},{},0]`, true},
		{FriendID, `[6,100000001,1]`, false},
		{testOwner, `[7,100000002,1]`, false},
		{testOwner, `[2,1,8,100000002]`, false},
		{FriendID, `[63,100000001,[100000001],1,` + id(testTime.Unix()) + `]`, false},
		{FriendID, `[2,1,131200,100000001]`, false},
		{testOwner, `[2,1,131200,100000002]`, false},
	}
	if len(users) != len(want) {
		t.Fatalf("updates %+v, want %+v", users, want)
	}
	for i := range want {
		if users[i] != want[i] {
			t.Errorf("update %d: %+v, want %+v", i, users[i], want[i])
		}
	}
	if ms := r.Messages(); !ms[0].DeletedForAll {
		t.Fatal("delete_for_all left the message")
	}
	// Towards the community: message_new, message_read, message_typing_state.
	mustCall(t, r, userTok, "messages.send", "peer_id", id(-testCommunity), "message", "to the bot")
	gid := mustCall(t, r, groupTok, "messages.send", "peer_id", id(testOwner), "message", "reply")
	mustCall(t, r, userTok, "messages.markAsRead", "peer_id", id(-testCommunity))
	mustCall(t, r, userTok, "messages.setActivity", "peer_id", id(-testCommunity), "type", "typing")
	bots, _ := rec.take()
	var types []string
	for _, b := range bots {
		types = append(types, string(b.typ))
	}
	if strings.Join(types, ",") != "message_new,message_reply,message_read,message_typing_state" {
		t.Fatalf("events %v", types)
	}
	if n, _ := strconv.ParseFloat(gid, 64); bots[2].object["read_message_id"] != n || bots[2].object["from_id"] != float64(testOwner) {
		t.Fatalf("message_read %v (reply %s)", bots[2].object, gid)
	}
}

// account.setOnline and setOffline tell the friends once per change.
func TestPresence(t *testing.T) {
	r, rec := newTestRoom(t, Limits{})
	mustCall(t, r, userTok, "account.setOnline")
	mustCall(t, r, userTok, "account.setOnline")
	mustCall(t, r, userTok, "account.setOffline")
	mustCall(t, r, userTok, "account.setOffline")
	_, users := rec.take()
	ts := id(testTime.Unix())
	if len(users) != 2 || users[0] != (userUpdate{FriendID, `[8,-100000001,7,` + ts + `]`, false}) || users[1] != (userUpdate{FriendID, `[9,-100000001,0,` + ts + `]`, false}) {
		t.Fatalf("updates %+v", users)
	}
	// Someone without friends goes online without an update.
	mustCall(t, r, core.Token{Kind: vkerr.KindUser, UserID: 42}, "account.setOnline")
	if _, users := rec.take(); len(users) != 0 || !rec.online[42] {
		t.Fatalf("updates %+v, online %v", users, rec.online)
	}
}

func TestInboxAndButtons(t *testing.T) {
	r, rec := newTestRoom(t, Limits{})
	for _, m := range []InboxMessage{
		{FromID: 0, GroupID: testCommunity, Text: "x"},
		{FromID: 7, GroupID: 0, Text: "x"},
		{FromID: 7, GroupID: testCommunity},
		{FromID: 7, GroupID: testCommunity, Text: strings.Repeat("x", 4097)},
		{FromID: 7, GroupID: testCommunity, Text: "x", Payload: "{"},
		{FromID: DeletedUserID, GroupID: testCommunity, Text: "x"},
	} {
		if _, err := r.Inbox(m); err == nil {
			t.Errorf("inbox %+v accepted", m)
		}
	}
	res, err := r.Inbox(InboxMessage{FromID: 7, GroupID: testCommunity, Text: "hi", Payload: `{"b":1}`})
	if err != nil || res.PeerID != -testCommunity || res.Event.Type != vkevent.TypeMessageNew {
		t.Fatalf("inbox: %+v, %v", res, err)
	}
	bots, _ := rec.take()
	msg := bots[0].object["message"].(map[string]any)
	if msg["peer_id"] != float64(7) || msg["payload"] != `{"b":1}` || bots[0].object["client_info"] == nil {
		t.Fatalf("message_new %v", bots[0].object)
	}
	// A press, answered once by its community with its user and peer.
	press, err := r.PressButton(ButtonPress{UserID: 7, GroupID: testCommunity})
	if err != nil || press.Event.Type != vkevent.TypeMessageEvent || len(press.EventID) != 14 {
		t.Fatalf("press: %+v, %v", press, err)
	}
	other := groupTok
	other.GroupID++
	if _, e := call(t, r, other, "messages.sendMessageEventAnswer", "event_id", press.EventID, "user_id", "7", "peer_id", "7"); e == nil || e.Code != vkerr.Param {
		t.Fatalf("another community answered: %v", e)
	}
	if _, e := call(t, r, groupTok, "messages.sendMessageEventAnswer", "event_id", press.EventID, "user_id", "8", "peer_id", "7"); e == nil {
		t.Fatal("another user answered")
	}
	if r.ButtonAnswered(press.EventID) {
		t.Fatal("answered before the answer")
	}
	mustCall(t, r, groupTok, "messages.sendMessageEventAnswer", "event_id", press.EventID, "user_id", "7", "peer_id", "7", "event_data", `{"type":"show_snackbar","text":"ok"}`)
	if !r.ButtonAnswered(press.EventID) {
		t.Fatal("the answer was not recorded")
	}
	if _, err := r.PressButton(ButtonPress{UserID: 7, GroupID: testCommunity, Payload: json.RawMessage(`{`)}); err == nil {
		t.Fatal("a press with bad JSON was emitted")
	}
	// The presses kept are bounded: the first is forgotten.
	for range maxButtonPresses {
		if _, err := r.PressButton(ButtonPress{UserID: 7, GroupID: testCommunity}); err != nil {
			t.Fatal(err)
		}
	}
	if r.ButtonAnswered(press.EventID) || len(r.buttons) != maxButtonPresses {
		t.Fatalf("%d presses kept", len(r.buttons))
	}
	// Reset forgets the presses.
	if err := r.Reset(nil); err != nil || len(r.buttons) != 0 {
		t.Fatalf("Reset kept %d presses (%v)", len(r.buttons), err)
	}
}

func TestInjectValidates(t *testing.T) {
	r, rec := newTestRoom(t, Limits{})
	for _, e := range []InjectedEvent{
		{Type: "no_such_event", GroupID: 1},
		{Type: vkevent.TypeConfirmation, GroupID: 1},
		{Type: vkevent.TypeGroupJoin, GroupID: MaxGroupID + 1, Object: json.RawMessage(`{"user_id":1,"join_type":"join"}`)},
		{Type: vkevent.TypeGroupJoin, GroupID: 1, Object: json.RawMessage(`{"user_id":1,"join_type":"join","x":"` + strings.Repeat("x", maxInjectedObject) + `"}`)},
	} {
		if _, err := r.Inject(e); err == nil {
			t.Errorf("injected %s of %d", e.Type, e.GroupID)
		}
	}
	ev, err := r.Inject(InjectedEvent{Type: vkevent.TypeGroupJoin, GroupID: 1, Object: json.RawMessage(`{ "user_id": 1, "join_type": "join" }`)})
	if err != nil || ev.Type != vkevent.TypeGroupJoin {
		t.Fatalf("inject: %+v, %v", ev, err)
	}
	if bots, _ := rec.take(); len(bots) != 1 || bots[0].object["user_id"] != float64(1) {
		t.Fatalf("events %+v", bots)
	}
}
