package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkobject"
)

// The proof's calls for the methods vkmock answers from its world rather
// than from the schema alone: they need a real target (a message, a
// Callback server, an upload) or values the world checks. Each is still
// the typed method, and its answer goes through the same check.

// proofWorld is what those calls work with.
type proofWorld struct {
	t    *testing.T
	s    *vkmock.Server
	user *API
	grp  *API
}

var proofOverrides = map[string]func(ctx context.Context, w *proofWorld) (any, error){
	"wall.getById/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Wall.GetByID(ctx, WallGetByIDParams{Posts: []string{w.post(ctx)}})
	},
	"wall.getById/extendedResponse": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Wall.GetByIDExtended(ctx, WallGetByIDParams{Posts: []string{w.post(ctx)}})
	},
	"wall.post/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Wall.Post(ctx, WallPostParams{Message: "proof"})
	},
	"photos.getById/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Photos.GetByID(ctx, PhotosGetByIDParams{Photos: []string{fmt.Sprintf("%d_1", vkmock.DefaultUserID)}})
	},
	"messages.send/deprecatedResponse": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.Send(ctx, MessagesSendParams{PeerID: vkmock.WorldFriendID, Message: "proof"})
	},
	"messages.setActivity/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.SetActivity(ctx, MessagesSetActivityParams{PeerID: vkmock.WorldFriendID, Type: MessagesSetActivityTypeTyping})
	},
	"messages.markAsRead/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.MarkAsRead(ctx, MessagesMarkAsReadParams{PeerID: vkmock.WorldFriendID})
	},
	"messages.getLongPollHistory/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.GetLongPollHistory(ctx, MessagesGetLongPollHistoryParams{TS: 1})
	},
	"messages.edit/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.Edit(ctx, MessagesEditParams{PeerID: vkmock.WorldFriendID, MessageID: w.message(ctx), Message: "edited"})
	},
	"messages.getById/response": func(ctx context.Context, w *proofWorld) (any, error) {
		// The mock reads stored messages back, and needs their ids, as VK does.
		return w.user.Messages.GetByID(ctx, MessagesGetByIDParams{MessageIDs: []int64{w.message(ctx)}})
	},
	"messages.getById/extendedResponse": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.GetByIDExtended(ctx, MessagesGetByIDParams{MessageIDs: []int64{w.message(ctx)}})
	},
	"messages.delete/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Messages.Delete(ctx, MessagesDeleteParams{MessageIDs: []int64{w.message(ctx)}})
	},
	"messages.sendMessageEventAnswer/response": func(ctx context.Context, w *proofWorld) (any, error) {
		b, err := w.s.World().PressButton(vkmock.ButtonPress{UserID: vkmock.WorldFriendID, GroupID: vkmock.DefaultGroupID})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.grp.Messages.SendMessageEventAnswer(ctx, MessagesSendMessageEventAnswerParams{EventID: b.EventID, UserID: vkmock.WorldFriendID, PeerID: vkmock.WorldFriendID})
	},
	"groups.getById/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Groups.GetByID(ctx, GroupsGetByIDParams{GroupIDs: []string{strconv.FormatInt(vkmock.DefaultGroupID, 10)}})
	},
	"groups.getLongPollServer/response": func(ctx context.Context, w *proofWorld) (any, error) {
		if _, err := w.grp.Groups.SetLongPollSettings(ctx, GroupsSetLongPollSettingsParams{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
			w.t.Fatal(err)
		}
		return w.grp.Groups.GetLongPollServer(ctx, GroupsGetLongPollServerParams{GroupID: vkmock.DefaultGroupID})
	},
	"groups.addCallbackServer/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.grp.Groups.AddCallbackServer(ctx, w.newServer())
	},
	"groups.editCallbackServer/response": func(ctx context.Context, w *proofWorld) (any, error) {
		p := w.newServer()
		return w.grp.Groups.EditCallbackServer(ctx, GroupsEditCallbackServerParams{GroupID: p.GroupID, ServerID: w.server(ctx), URL: p.URL, Title: p.Title})
	},
	"groups.deleteCallbackServer/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.grp.Groups.DeleteCallbackServer(ctx, GroupsDeleteCallbackServerParams{GroupID: vkmock.DefaultGroupID, ServerID: w.server(ctx)})
	},
	"groups.getCallbackSettings/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.grp.Groups.GetCallbackSettings(ctx, GroupsGetCallbackSettingsParams{GroupID: vkmock.DefaultGroupID, ServerID: w.server(ctx)})
	},
	"groups.setCallbackSettings/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.grp.Groups.SetCallbackSettings(ctx, GroupsSetCallbackSettingsParams{GroupID: vkmock.DefaultGroupID, ServerID: w.server(ctx), MessageNew: true})
	},
	"execute/response": func(ctx context.Context, w *proofWorld) (any, error) {
		return w.user.Execute.Execute(ctx, ExecuteParams{Code: `return {"a": 1, "b": [1, 2]};`})
	},
	"photos.save/response": func(ctx context.Context, w *proofWorld) (any, error) {
		up, err := w.user.Photos.GetUploadServer(ctx, PhotosGetUploadServerParams{AlbumID: vkmock.WorldMainAlbumID})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.user.Photos.Save(ctx, PhotosSaveParams{AlbumID: vkmock.WorldMainAlbumID, Extra: w.upload(string(up.UploadURL), "file1")})
	},
	"photos.saveWallPhoto/response": func(ctx context.Context, w *proofWorld) (any, error) {
		up, err := w.user.Photos.GetWallUploadServer(ctx, PhotosGetWallUploadServerParams{})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.user.Photos.SaveWallPhoto(ctx, PhotosSaveWallPhotoParams{Extra: w.upload(string(up.UploadURL), "photo")})
	},
	"photos.saveOwnerPhoto/response": func(ctx context.Context, w *proofWorld) (any, error) {
		up, err := w.user.Photos.GetOwnerPhotoUploadServer(ctx, PhotosGetOwnerPhotoUploadServerParams{})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.user.Photos.SaveOwnerPhoto(ctx, PhotosSaveOwnerPhotoParams{Extra: w.upload(string(up.UploadURL), "photo")})
	},
	"photos.saveMessagesPhoto/response": func(ctx context.Context, w *proofWorld) (any, error) {
		up, err := w.user.Photos.GetMessagesUploadServer(ctx, PhotosGetMessagesUploadServerParams{PeerID: vkmock.WorldFriendID})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.user.Photos.SaveMessagesPhoto(ctx, PhotosSaveMessagesPhotoParams{Extra: w.upload(string(up.UploadURL), "photo")})
	},
	"docs.save/response": func(ctx context.Context, w *proofWorld) (any, error) {
		up, err := w.user.Docs.GetUploadServer(ctx, DocsGetUploadServerParams{})
		if err != nil {
			w.t.Fatal(err)
		}
		return w.user.Docs.Save(ctx, DocsSaveParams{Extra: w.upload(string(up.UploadURL), "file")})
	},
}

// post returns "owner_id" of the first post on the user's wall.
func (w *proofWorld) post(ctx context.Context) string {
	r, err := w.user.Wall.Get(ctx, WallGetParams{OwnerID: vkmock.DefaultUserID, Count: 1})
	if err != nil || len(r.Items) == 0 {
		w.t.Fatalf("wall.get: %v, %d items", err, len(r.Items))
	}
	return fmt.Sprintf("%d_%d", r.Items[0].OwnerID, r.Items[0].ID)
}

// message sends a message and returns its id.
func (w *proofWorld) message(ctx context.Context) int64 {
	r, err := w.user.Messages.Send(ctx, MessagesSendParams{PeerID: vkmock.WorldFriendID, Message: "to edit"})
	if err != nil {
		w.t.Fatal(err)
	}
	return int64(r.Value)
}

func (w *proofWorld) newServer() GroupsAddCallbackServerParams {
	return GroupsAddCallbackServerParams{GroupID: vkmock.DefaultGroupID, URL: "https://example.com/callback", Title: "proof"}
}

// server adds a Callback server and returns its id.
func (w *proofWorld) server(ctx context.Context) int64 {
	r, err := w.grp.Groups.AddCallbackServer(context.Background(), w.newServer())
	if err != nil {
		w.t.Fatal(err)
	}
	return int64(r.ServerID)
}

// upload posts a small PNG to url in field, and returns the upload's
// answer as the parameters of the save method.
func (w *proofWorld) upload(url, field string) vkapi.Params {
	var img, body bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		w.t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, "proof.png")
	if err == nil {
		_, err = fw.Write(img.Bytes())
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.s.HTTPClient().Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		w.t.Fatal(err)
	}
	p := vkapi.Params{}
	for k, raw := range answer {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var n vkobject.Int
			_ = n.UnmarshalJSON(raw)
			s = strconv.FormatInt(int64(n), 10)
		}
		p[k] = s
	}
	if resp.StatusCode != http.StatusOK || len(p) == 0 {
		w.t.Fatalf("upload: %s, %v", resp.Status, answer)
	}
	return p
}
