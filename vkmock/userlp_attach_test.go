package vkmock

import (
	"strconv"
	"testing"
)

// TestUserLongPollAttachments: with mode 2, the attachments object of a
// message's update 4 names its attachments as VK's version 3 does
// (attachN_type, attachN "OWNER_ID"), whether a user or a community sent
// it; without 2 the object is not sent.
func TestUserLongPollAttachments(t *testing.T) {
	s := testServer(t)
	s.SetRateLimits(false)
	srv := userLP(t, s)
	me := strconv.FormatInt(DefaultUserID, 10)
	send := func(token, rnd string) {
		t.Helper()
		a := call(t, s, "messages.send", vals("peer_id", me, "message", "x", "random_id", rnd, "attachment", "photo1_2,doc-5_7_abc", "access_token", token, "v", "5.199"))
		if a.code() != 0 {
			t.Fatalf("send: %s", a.body)
		}
	}
	send(s.Tokens().Of(TokenGroup).Token, "1") // a community's message_reply
	send(s.Tokens().Of(TokenUser).Token, "2")  // the user's own saved messages
	want := `{"attach1":"1_2","attach1_type":"photo","attach2":"-5_7","attach2_type":"doc"}`
	ups := userUpdates(t, userCheck(t, s, srv, srv.TS, "&version=3&mode=2"))
	if len(ups) != 2 {
		t.Fatalf("%d updates", len(ups))
	}
	for i, up := range ups {
		if len(up) != 8 || string(up[7]) != want {
			t.Errorf("update %d: %s", i, jsonArray(up))
		}
	}
	for i, up := range userUpdates(t, userCheck(t, s, srv, srv.TS, "&version=3&mode=0")) {
		if len(up) != 7 {
			t.Errorf("without mode 2, update %d: %s", i, jsonArray(up))
		}
	}
}
