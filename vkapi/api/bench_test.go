package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkobject"
)

// The cost of types: the same users.get answer (3 users, about 10 fields
// each, without drift so that the hand-written struct decodes it too)
// through a.Users.Get, and through Call into a hand-written struct and
// into json.RawMessage. The answer is served from memory, so the figures
// are the client's and the decoder's.

// benchBody is the users.get answer of the benchmarks.
const benchBody = `{"response":[` +
	`{"id":1,"first_name":"Pavel","last_name":"Durov","can_access_closed":true,"is_closed":false,"sex":2,"screen_name":"durov","photo_100":"https://sun1-1.userapi.com/a.jpg","online":1,"city":{"id":2,"title":"Saint Petersburg"},"verified":1},` +
	`{"id":2,"first_name":"Alexandra","last_name":"Vladimirova","can_access_closed":true,"is_closed":false,"sex":1,"screen_name":"id2","photo_100":"https://sun1-2.userapi.com/b.jpg","online":0,"city":{"id":1,"title":"Moscow"},"verified":0},` +
	`{"id":3,"first_name":"DELETED","last_name":"","deactivated":"deleted","can_access_closed":true,"is_closed":false,"sex":0,"screen_name":"id3","photo_100":"https://vk.com/images/deactivated_100.png","online":0,"verified":0}]}`

type memRT struct{ body []byte }

func (m memRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(m.body)), Request: r}, nil
}

func benchClient(b *testing.B) *vkapi.Client {
	c := vkapi.New("tok", vkapi.WithBaseURL("http://vk.test"), vkapi.WithHTTPClient(&http.Client{Transport: memRT{[]byte(benchBody)}}),
		vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}))
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// handUser is what a user of Call writes for the same fields.
type handUser struct {
	ID              int64  `json:"id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	CanAccessClosed bool   `json:"can_access_closed"`
	Sex             int    `json:"sex"`
	ScreenName      string `json:"screen_name"`
	Photo100        string `json:"photo_100"`
	Online          int    `json:"online"`
	City            *struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	} `json:"city"`
	Verified    int    `json:"verified"`
	Deactivated string `json:"deactivated"`
}

func BenchmarkUsersGet(b *testing.B) {
	fields := []vkobject.UsersFields{"sex", "screen_name", "photo_100", "online", "city", "verified"}
	b.Run("typed", func(b *testing.B) {
		a := New(benchClient(b))
		b.ReportAllocs()
		for b.Loop() {
			r, err := a.Users.Get(b.Context(), UsersGetParams{UserIDs: []string{"1", "2", "3"}, Fields: fields})
			if err != nil || len(r.Value) != 3 || r.Value[1].City.ID != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("Call-struct", func(b *testing.B) {
		c := benchClient(b)
		b.ReportAllocs()
		for b.Loop() {
			var out []handUser
			err := c.Call(b.Context(), "users.get", vkapi.Params{"user_ids": "1,2,3", "fields": "sex,screen_name,photo_100,online,city,verified"}, &out)
			if err != nil || len(out) != 3 || out[1].City.ID != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("Call-raw", func(b *testing.B) {
		c := benchClient(b)
		b.ReportAllocs()
		for b.Loop() {
			var out json.RawMessage
			if err := c.Call(b.Context(), "users.get", vkapi.Params{"user_ids": "1,2,3", "fields": "sex,screen_name,photo_100,online,city,verified"}, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
