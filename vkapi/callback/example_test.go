package callback_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkevent"
)

func Example() {
	var r vkevent.Router
	texts := make(chan string, 1)
	r.OnMessageNew(func(_ context.Context, _ *vkevent.Event, m *vkevent.MessageNew) error {
		texts <- m.Message.Text // handled before the answer
		return nil
	})
	rc, err := callback.New(callback.Config{Secret: "s3cret", Confirmation: "a1b2c3", GroupID: 1, Handler: &r})
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	for _, body := range []string{
		`{"type":"confirmation","group_id":1}`,
		`{"type":"message_new","group_id":1,"event_id":"e1","secret":"s3cret","object":{"message":{"text":"hello"}}}`,
		`{"type":"message_new","group_id":1,"event_id":"e1","secret":"s3cret","object":{"message":{"text":"hello"}}}`,
		`{"type":"message_new","group_id":1,"event_id":"e2","secret":"guess","object":{}}`,
	} {
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/vk", strings.NewReader(body)))
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	fmt.Println("message:", <-texts)
	// Output:
	// 200 a1b2c3
	// 200 ok
	// 200 ok
	// 403 wrong secret
	// message: hello
}
