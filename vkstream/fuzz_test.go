package vkstream

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzHandle: any message of the stream is an event, a service message, or
// an error reported with OnError; nothing panics and the key never shows.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		`{"code":100,"event":{"event_type":"post","event_id":{"post_owner_id":-1,"post_id":2},"event_url":"https://vk.com/wall-1_2","text":"кот","action":"new","action_time":1,"creation_time":1,"tags":["cats"],"author":{"id":-1,"author_url":"https://vk.com/club1"}}}`,
		`{"code":300,"service_message":{"message":"m","service_code":1}}`,
		`{"code":400,"error":{"message":"bad key=SECRETKEY","error_code":1004}}`,
		`{"code":100,"event":{"event_id":{"post_id":"x"}}}`, `{"code":200}`, `not json`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		calls := 0
		var reported error
		c := New("127.0.0.1:1", "SECRETKEY", Config{
			OnEvent:   func(Event) { calls++ },
			OnService: func(ServiceMessage) { calls++ },
			OnError:   func(err error) { calls++; reported = err },
		})
		c.handle(data)
		if calls > 1 {
			t.Fatalf("%d callbacks for one message", calls)
		}
		if reported != nil && !bytes.Contains(data, []byte("SECRETKEY")) && strings.Contains(reported.Error(), "SECRETKEY") {
			t.Fatalf("the key shows in %q", reported)
		}
	})
}

// FuzzDecodeAnswer: any answer of the rules endpoint or a refused upgrade
// is a message, a *vkerr.StreamingError or an *vkerr.HTTPError.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(400, []byte(`{"code":400,"error":{"message":"Invalid rule","error_code":2003}}`))
	f.Add(200, []byte(`{"code":200,"rules":null}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		m, err := decodeAnswer(resp, body)
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m, err)
		}
		if err != nil && errors.Unwrap(err) == nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
