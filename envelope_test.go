package vkerr_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestExecuteErrors(t *testing.T) {
	resp, err := vkerr.DecodeResponse(readFixture(t, "execute_partial.json"))
	if resp == nil {
		t.Fatal("partial execute lost its response")
	}
	var items []json.RawMessage
	if json.Unmarshal(resp, &items) != nil || len(items) != 4 || string(items[1]) != "false" {
		t.Errorf("response = %s", resp)
	}
	var ee vkerr.ExecuteErrors
	if !errors.As(err, &ee) || len(ee) != 2 {
		t.Fatalf("err = %v", err)
	}
	if ee[0].Method != "video.getComments" || ee[1].Method != "wall.get" {
		t.Errorf("methods: %q %q", ee[0].Method, ee[1].Method)
	}
	if !errors.Is(err, vkerr.UserDeleted) || !errors.Is(err, vkerr.Access) || !errors.Is(err, vkerr.ErrNotFound) || errors.Is(err, vkerr.Captcha) {
		t.Error("errors.Is over execute members")
	}
	var one *vkerr.Error
	if !errors.As(err, &one) || one.Code != vkerr.UserDeleted {
		t.Errorf("errors.As takes the first member: %v", one)
	}
	if !strings.Contains(err.Error(), "2 inner calls failed") || !strings.Contains(err.Error(), "wall.get") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestDecodeResponseShapes(t *testing.T) {
	resp, err := vkerr.DecodeResponse(readFixture(t, "success.json"))
	if err != nil || !strings.HasPrefix(string(resp), `[{"id":1`) {
		t.Errorf("success: %s, %v", resp, err)
	}
	tests := []struct {
		name, body string
		reason     string // HTTPError reason, or "" for FormatError
	}{
		{"html", string(readFixture(t, "html_502.html")), "html page"},
		{"empty", "", "empty body"},
		{"blank", "  \n", "empty body"},
		{"truncated", string(readFixture(t, "truncated.json")), "truncated body"},
		{"text", "hello", ""},
		{"array", "[1,2]", ""},
		{"other json", `{"foo":1}`, ""},
		{"error string", `{"error":"invalid_client"}`, ""},
		{"null", "null", ""},
	}
	for _, tc := range tests {
		_, err := vkerr.DecodeResponse([]byte(tc.body))
		var he *vkerr.HTTPError
		if tc.reason != "" {
			if !errors.As(err, &he) || he.Reason != tc.reason || !errors.Is(err, vkerr.ErrTransient) {
				t.Errorf("%s: err = %#v, want HTTPError %q", tc.name, err, tc.reason)
			}
			continue
		}
		if !errors.Is(err, vkerr.ErrNotVK) || errors.As(err, &he) {
			t.Errorf("%s: err = %v, want ErrNotVK", tc.name, err)
		}
	}
}

func TestCheckResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"response":1}`)
		case "/err":
			io.WriteString(w, `{"error":{"error_code":6,"error_msg":"Too many requests per second"}}`)
		case "/502":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			w.Write(readFixture(t, "html_502.html"))
		case "/html200":
			w.Header().Set("Content-Type", "text/html")
			w.Write(readFixture(t, "html_502.html"))
		case "/big":
			io.WriteString(w, `{"response":"`+strings.Repeat("x", 4096)+`"}`)
		}
	}))
	defer srv.Close()
	get := func(path string, limit int64) (json.RawMessage, error) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return vkerr.CheckResponse(resp, limit)
	}
	if r, err := get("/ok", 0); err != nil || string(r) != "1" {
		t.Errorf("/ok: %s %v", r, err)
	}
	if _, err := get("/err", 0); !errors.Is(err, vkerr.TooMany) {
		t.Errorf("/err: %v", err)
	}
	var he *vkerr.HTTPError
	if _, err := get("/502", 0); !errors.As(err, &he) || he.StatusCode != 502 || he.Reason != "html page" || !strings.Contains(he.Snippet, "502 Bad Gateway") {
		t.Errorf("/502: %#v", err)
	} else if !strings.Contains(he.Error(), "HTTP 502 Bad Gateway") {
		t.Errorf("Error() = %q", he.Error())
	}
	if _, err := get("/html200", 0); !errors.As(err, &he) || he.StatusCode != 200 || he.ContentType != "text/html" {
		t.Errorf("/html200: %#v", err)
	}
	if _, err := get("/big", 1024); !errors.As(err, &he) || !strings.Contains(he.Reason, "larger than 1024") {
		t.Errorf("/big: %#v", err)
	}
	if len(he.Snippet) > 210 {
		t.Errorf("snippet not bounded: %d bytes", len(he.Snippet))
	}
}

func TestSnippet(t *testing.T) {
	s := vkerr.RedactedSnippet([]byte("a\n\n b\xff\t" + strings.Repeat("z", 500) + "?access_token=vk1.a.SECRETSECRETSECRET"))
	if !strings.HasPrefix(s, "a b") || len(s) > 210 || strings.Contains(s, "\xff") {
		t.Errorf("Snippet = %q", s)
	}
	assertNoSecret(t, "Snippet", vkerr.RedactedSnippet([]byte("<html>access_token=vk1.a.SECRETSECRETSECRET</html>")))
}
