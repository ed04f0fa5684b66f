package main

import "testing"

func TestParseRawResponse(t *testing.T) {
	tests := []struct {
		in       string
		isHTTP   bool
		status   int
		ct, body string
	}{
		{"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html></html>", true, 502, "text/html", "<html></html>"},
		{"HTTP/2 200 \ncontent-type: application/json; charset=utf-8\n\n{\"response\":1}\n", true, 200, "application/json; charset=utf-8", "{\"response\":1}\n"},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}", true, 200, "application/json", "{}"},
		{"HTTP/1.1 204 No Content\r\n", true, 204, "", ""},
		{`{"response":1}`, false, 0, "", ""},
	}
	for _, tc := range tests {
		r, isHTTP, err := parseRawResponse([]byte(tc.in))
		if err != nil || isHTTP != tc.isHTTP {
			t.Errorf("%q: isHTTP %v, err %v", tc.in, isHTTP, err)
			continue
		}
		if !isHTTP {
			continue
		}
		if r.Status != tc.status || r.ContentType != tc.ct || string(r.Body) != tc.body {
			t.Errorf("%q: got %d %q %q", tc.in, r.Status, r.ContentType, r.Body)
		}
	}
	for _, bad := range []string{"HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 200 OK", "HTTP/ 99\n\n"} {
		if _, isHTTP, err := parseRawResponse([]byte(bad)); !isHTTP || err == nil {
			t.Errorf("%q: isHTTP %v, err %v", bad, isHTTP, err)
		}
	}
}

func FuzzParseRawResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html></html>"))
	f.Add([]byte("HTTP/2 200\n\n{}"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, isHTTP, err := parseRawResponse(in)
		if err == nil && isHTTP && (r == nil || r.Status < 100 || r.Status > 999) {
			t.Fatalf("bad result %+v for %q", r, in)
		}
		if !isHTTP && (r != nil || err != nil) {
			t.Fatalf("not HTTP but %+v, %v", r, err)
		}
	})
}
