package upload_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
	"github.com/vkerr/vkerr/vkmock"
)

// An upload of a document to a conversation against vkmock: the saved
// document and its attachment string for messages.send.
func Example() {
	mock := vkmock.MustNew()
	ts := httptest.NewServer(mock)
	defer ts.Close()
	c := vkapi.New(mock.Tokens().Of(vkmock.TokenGroup).Token, vkapi.WithBaseURL(ts.URL), vkapi.WithTokenKind(vkapi.KindGroup))
	up := upload.New(c, upload.Config{})
	defer up.Close()

	d, err := up.MessageDoc(context.Background(), 2000000001, upload.Reader("notes.txt", strings.NewReader("hello")))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Type, d.Title, d.Size, strings.HasPrefix(d.Attachment(), "doc-"))
	// Output: doc notes.txt 5 true
}
