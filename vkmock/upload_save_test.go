package vkmock

import (
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testimg"
)

// TestUploadSaveEmptyAndOtherGroup: saving the silent "photo":"[]" of an
// upload server answers 100 "photos_list is invalid" (vk-java-sdk issue
// 42); saving with another group_id than the upload server's, or a hash
// that does not match, answers 121.
func TestUploadSaveEmptyAndOtherGroup(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	const invalid = "One of the parameters specified was missing or invalid: photos_list is invalid"
	for _, sp := range []struct{ get, save, field string }{
		{"photos.getWallUploadServer", "photos.saveWallPhoto", "photo"},
		{"photos.getMessagesUploadServer", "photos.saveMessagesPhoto", "photo"},
		{"photos.getUploadServer", "photos.save", "photos_list"},
	} {
		u := uploadURLOf(t, s, user, sp.get, vals("album_id", "5"))
		body := postFiles(t, s, u, nil, [3]string{"photo", "x.png", "not an image"})
		ans := decodePhotoAnswer(t, body)
		list := ans.Photo + ans.PhotosList
		if list != "[]" {
			t.Fatalf("%s: not the silent failure: %s", sp.get, body)
		}
		a := call(t, s, sp.save, saveParams(user, "album_id", "5", "server", itoa(ans.Server), sp.field, list, "hash", ans.Hash))
		wantError(t, a, vkerr.Param, invalid)
	}

	u := uploadURLOf(t, s, user, "photos.getWallUploadServer", vals("group_id", "42"))
	ans := decodePhotoAnswer(t, postFiles(t, s, u, nil, [3]string{"photo", "w.png", string(testimg.PNG(t, 8, 8, 4))}))
	for name, gid := range map[string]string{"another group": "43", "no group": "0"} {
		a := call(t, s, "photos.saveWallPhoto", saveParams(user, "group_id", gid, "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
		if a.code() != vkerr.ParamHash || !strings.Contains(string(a.body), "Invalid hash") {
			t.Errorf("%s: %s", name, a.body)
		}
	}
	a := call(t, s, "photos.saveWallPhoto", saveParams(user, "group_id", "42", "server", itoa(ans.Server), "photo", ans.Photo, "hash", strings.Repeat("1", 32)))
	if a.code() != vkerr.ParamHash {
		t.Errorf("mismatched hash: %s", a.body)
	}
	a = call(t, s, "photos.saveWallPhoto", saveParams(user, "group_id", "42", "server", itoa(ans.Server), "photo", ans.Photo, "hash", ans.Hash))
	if a.code() != 0 {
		t.Fatalf("the upload server's group: %s", a.body)
	}
}
