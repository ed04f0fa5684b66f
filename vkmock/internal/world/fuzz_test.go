package world

import (
	"encoding/json"
	"testing"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// FuzzMethods sends any parameters to every world method with a user's, a
// friend's and a community's token: an answer is JSON, an error has a
// code and a message; never a panic.
func FuzzMethods(f *testing.F) {
	for _, s := range []string{
		"user_ids=1,mock_owner,id5&fields=photo_50,sex,screen_name",
		"group_ids=club1,mock_community&fields=members_count",
		"owner_id=-200000001&offset=1&count=2&extended=1",
		"peer_ids=1,2,2000000001&message=hi&random_id=5&attachment=photo1_2,doc-3_4_key",
		"peer_id=100000002&message_id=1&message=x&cmid=1",
		"message_ids=1,2,3&delete_for_all=1&important=1",
		"peer_id=-200000001&type=typing&start_message_id=0",
		"group_id=200000001&enabled=1&api_version=5.199&message_new=1",
		"event_id=00&user_id=7&peer_id=7&event_data={}",
		"screen_name=https://vk.com/@mock_owner&album_id=300000001",
		"%zz=%zz&domain=club0",
	} {
		f.Add(s)
	}
	r, _ := newTestRoom(f, Limits{Messages: 100, MessageBytes: 1 << 20, Posts: 100, PostBytes: 1 << 20})
	if _, err := r.PressButton(ButtonPress{UserID: 7, GroupID: testCommunity}); err != nil {
		f.Fatal(err)
	}
	names := MethodNames()
	f.Fuzz(func(t *testing.T, params string) {
		kv := form(params)
		for _, name := range names {
			for _, tok := range []core.Token{userTok, friendTok, groupTok} {
				b, e := call(t, r, tok, name, kv...)
				switch {
				case e != nil && (e.Code == 0 || e.Message == ""):
					t.Fatalf("%s(%q): error without code or message: %+v", name, params, e)
				case e == nil && !json.Valid([]byte(b)):
					t.Fatalf("%s(%q): not JSON: %s", name, params, b)
				}
			}
		}
	})
}
