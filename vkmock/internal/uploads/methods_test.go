package uploads

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testimg"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// TestAlbumUploadServer: the URL of photos.getUploadServer (the world
// checked the album) is for the album and the community given, and its
// answer saves with photos.save only, for that group_id.
func TestAlbumUploadServer(t *testing.T) {
	user := core.Token{Token: "user-token", Kind: vkerr.KindUser, UserID: 5}
	r, _ := newTestRoom(t, Deps{})
	q := &core.Request{Name: "photos.getUploadServer", Host: "127.0.0.1",
		Params: []core.KV{{Key: "album_id", Value: "300000001"}, {Key: "group_id", Value: "7"}}}
	b, e := r.AlbumUploadServer(q, user)
	var a struct {
		AlbumID   int64  `json:"album_id"`
		UploadURL string `json:"upload_url"`
		UserID    int64  `json:"user_id"`
	}
	if e != nil || json.Unmarshal(b, &a) != nil || a.AlbumID != 300000001 || a.UserID != 5 ||
		!strings.Contains(a.UploadURL, "aid=300000001") || !strings.Contains(a.UploadURL, "gid=7") || !strings.Contains(a.UploadURL, "target=album") {
		t.Fatalf("%s %v", b, e)
	}
	var ans struct {
		Server     int64  `json:"server"`
		PhotosList string `json:"photos_list"`
		Hash       string `json:"hash"`
	}
	if err := json.Unmarshal(post(t, r, a.UploadURL, "file1", "a.png", testimg.PNG(t, 4, 4, 1)), &ans); err != nil || ans.PhotosList == "" {
		t.Fatalf("album upload: %+v %v", ans, err)
	}
	server := strconv.FormatInt(ans.Server, 10)
	if _, e := call(t, r, user, "photos.saveWallPhoto", "server", server, "photo", ans.PhotosList, "hash", ans.Hash, "group_id", "7"); e == nil {
		t.Error("an album's upload was saved by photos.saveWallPhoto")
	}
	if _, e := call(t, r, user, "photos.save", "server", server, "photos_list", ans.PhotosList, "hash", ans.Hash, "album_id", "300000001"); e == nil || e.Code != vkerr.ParamHash {
		t.Errorf("photos.save without the group_id: %v, want 121", e)
	}
	if _, e := call(t, r, user, "photos.save", "server", server, "photos_list", ans.PhotosList, "hash", ans.Hash, "album_id", "300000001", "group_id", "7"); e != nil {
		t.Errorf("photos.save: %v", e)
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
