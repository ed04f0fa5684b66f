package vkmocktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
)

// Register adds u as a Callback server of vkmock's default community with
// the community's token (groups.addCallbackServer with title and secret),
// waits until the mock has confirmed it, and turns message_new on for it.
// It fails t on any error.
func Register(t testing.TB, mock *vkmock.Server, u, title, secret string) {
	t.Helper()
	call := func(method string, kv ...string) json.RawMessage {
		t.Helper()
		v := url.Values{"group_id": {strconv.FormatInt(vkmock.DefaultGroupID, 10)}, "v": {"5.199"}, "access_token": {mock.Tokens().Of(vkmock.TokenGroup).Token}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		resp, err := http.PostForm(mock.URL()+"/method/"+method, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			Response json.RawMessage `json:"response"`
			Error    *struct {
				Code    int    `json:"error_code"`
				Message string `json:"error_msg"`
			} `json:"error"`
		}
		switch err := json.NewDecoder(resp.Body).Decode(&env); {
		case err != nil:
			t.Fatalf("%s: HTTP %d: %v", method, resp.StatusCode, err)
		case env.Error != nil:
			t.Fatalf("%s: error %d: %s", method, env.Error.Code, env.Error.Message)
		case env.Response == nil:
			t.Fatalf("%s: HTTP %d: no response", method, resp.StatusCode)
		}
		return env.Response
	}
	var r struct {
		ServerID int64 `json:"server_id"`
	}
	if err := json.Unmarshal(call("groups.addCallbackServer", "url", u, "title", title, "secret_key", secret), &r); err != nil {
		t.Fatal(err)
	}
	if err := mock.Callback().Idle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sv := mock.Callback().Servers(vkmock.DefaultGroupID); len(sv) == 0 || sv[len(sv)-1].Status != vkmock.CallbackOK {
		t.Fatalf("not confirmed: %+v", sv)
	}
	call("groups.setCallbackSettings", "server_id", strconv.FormatInt(r.ServerID, 10), "message_new", "1")
}
