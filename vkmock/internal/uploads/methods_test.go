package uploads

import (
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// TestAlbumUploadServer: photos.getUploadServer checks the world's album:
// 200 for another owner's (unless group_id names the owning community),
// 300 for a full one, 100 for a bad id; an album the world does not have
// gets a URL.
func TestAlbumUploadServer(t *testing.T) {
	user := core.Token{Token: "user-token", Kind: vkerr.KindUser, UserID: 5}
	r, _ := newTestRoom(t, Deps{World: testWorld{
		1: {OwnerID: 5, Size: 3, Capacity: 10},
		2: {OwnerID: 5, Size: 10, Capacity: 10},
		3: {OwnerID: 6},
		4: {OwnerID: -7},
	}})
	for _, c := range []struct {
		params []string
		want   vkerr.Code
	}{
		{[]string{"album_id", "1"}, 0},
		{[]string{"album_id", "2"}, vkerr.AlbumFull},
		{[]string{"album_id", "3"}, vkerr.AccessAlbum},
		{[]string{"album_id", "4"}, vkerr.AccessAlbum},
		{[]string{"album_id", "4", "group_id", "7"}, 0},
		{[]string{"album_id", "99"}, 0},
		{[]string{"album_id", "x"}, vkerr.Param},
	} {
		b, e := call(t, r, user, "photos.getUploadServer", c.params...)
		switch {
		case c.want == 0 && (e != nil || !strings.Contains(string(b), `"upload_url"`)):
			t.Errorf("%v: %s %v", c.params, b, e)
		case c.want != 0 && (e == nil || e.Code != c.want):
			t.Errorf("%v: %s %v, want error %d", c.params, b, e, c.want)
		}
	}
}

// TestDocsMessagesUploadServerType: docs.getMessagesUploadServer takes
// the types VK knows and answers 100 for another.
func TestDocsMessagesUploadServerType(t *testing.T) {
	r, _ := newTestRoom(t, Deps{})
	for _, typ := range []string{"", "doc", "audio_message", "graffiti"} {
		if _, e := call(t, r, groupToken, "docs.getMessagesUploadServer", "type", typ); e != nil {
			t.Errorf("type %q: %v", typ, e)
		}
	}
	if _, e := call(t, r, groupToken, "docs.getMessagesUploadServer", "type", "video"); e == nil || e.Code != vkerr.Param {
		t.Errorf("type video: %v", e)
	}
}
