package vkapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock"
)

// TestVKMockBatchHooks: a challenge inside execute goes to its hook through
// a direct request of that call alone.
func TestVKMockBatchHooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := memMock(t)
		if err := s.Challenges().Set(vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "wall.post", Text: "Post?"}}}); err != nil {
			t.Fatal(err)
		}
		var asked atomic.Int32
		c := New(s.Tokens().Of(vkmock.TokenUser).Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser),
			WithBatching(BatchOptions{Window: 20 * time.Millisecond}),
			WithConfirmer(ConfirmerFunc(func(ctx context.Context, cf *Confirmation) (bool, error) {
				asked.Add(1)
				return cf.Text == "Post?", nil
			})))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var postErr, userErr error
		var post struct {
			PostID int64 `json:"post_id"`
		}
		wg.Go(func() { postErr = c.Call(ctx, "wall.post", Params{"message": "hooked"}, &post) })
		wg.Go(func() { userErr = c.Call(ctx, "users.get", Params{"user_ids": 1}, nil) })
		wg.Wait()
		if postErr != nil || post.PostID == 0 || userErr != nil {
			t.Fatalf("wall.post %v %+v; users.get %v", postErr, post, userErr)
		}
		if asked.Load() != 1 || postsWith(s, "hooked") != 1 {
			t.Errorf("asked %d times, %d posts", asked.Load(), postsWith(s, "hooked"))
		}
		// One execute (the 24 inside), then wall.post alone: 24, then confirm=1.
		var methods []string
		for _, r := range s.Requests().All() {
			methods = append(methods, r.Method+"/"+r.Param("confirm"))
		}
		if fmt.Sprint(methods) != "[execute/ wall.post/ wall.post/1]" {
			t.Errorf("requests %v", methods)
		}
		// Without the hook the inner 24 comes back typed, after one request.
		other, err := s.Tokens().Create(vkmock.Token{Kind: vkmock.TokenUser})
		if err != nil {
			t.Fatal(err)
		}
		bare := New(other.Token, WithBaseURL(memURL), WithHTTPClient(mockClient(s)), WithTokenKind(KindUser), WithBatching(BatchOptions{}))
		before := len(s.Requests().All())
		err = bare.Call(ctx, "wall.post", Params{"message": "unhooked"}, nil)
		var ve *vkerr.Error
		if !errors.As(err, &ve) || ve.Code != vkerr.NeedConfirmation || ve.Method != "wall.post" || len(s.Requests().All()) != before+1 {
			t.Errorf("without a confirmer: %v", err)
		}
	})
}
