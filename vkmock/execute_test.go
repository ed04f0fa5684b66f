package vkmock

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

func execCode(t *testing.T, s *Server, token, code string, extra ...string) *answer {
	t.Helper()
	return post(t, s, "execute", vals(append([]string{"v", "5.199", "access_token", token, "code", code}, extra...)...), nil)
}

// TestExecuteBatchPairing runs a batch of 25 calls, some failing, and checks
// that each false in the response pairs with the next execute_errors entry.
func TestExecuteBatchPairing(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	mustAdd(t, s, Fault{Method: "friends.get", Times: 1, Error: &vkerr.Error{Code: vkerr.Server}})
	mustAdd(t, s, Fault{Method: "users.get", HTTPStatus: 502}) // not an error effect: ignored inside execute
	type callCase struct {
		expr   string
		method string
		code   vkerr.Code // 0: succeeds
	}
	cases := []callCase{
		{`API.users.get({user_ids: 1})`, "users.get", 0},
		{`API.wall.get({owner_id: 100000003})`, "wall.get", vkerr.UserDeleted},
		{`API.messages.send({peer_id: 5, message: "x", random_id: 1})`, "messages.send", 0},
		{`API.groups.getById({group_ids: "no_such_club"})`, "groups.getById", vkerr.Param},
		{`API.nosuch.method({})`, "nosuch.method", vkerr.Method},
		{`API.secure.getAppBalance({})`, "secure.getAppBalance", vkerr.Access},
		{`API.users.get({user_ids: "bad_name"})`, "users.get", vkerr.ParamUserID},
		{`API.wall.get({owner_id: 100000005})`, "wall.get", vkerr.PrivateProfile},
		{`API.friends.get({})`, "friends.get", vkerr.Server},
		{`API.friends.get({})`, "friends.get", 0},
		{`API.users.get({name_case: "bad"})`, "users.get", vkerr.Param},
		{`API.utils.getServerTime()`, "utils.getServerTime", 0},
		{`API.photos.getUploadServer({album_id: 300000002})`, "photos.getUploadServer", vkerr.AlbumFull},
		{`API.execute({code: "return 1;"})`, "execute", vkerr.Method},
	}
	for len(cases) < 25 {
		cases = append(cases, callCase{`API.users.get({user_ids: [1, 2]})`, "users.get", 0})
	}
	exprs := make([]string, len(cases))
	for i, c := range cases {
		exprs[i] = c.expr
	}
	a := execCode(t, s, user, "return ["+strings.Join(exprs, ",\n")+"];")
	if a.code() != 0 {
		t.Fatalf("execute: %s", a.body)
	}
	var resp []json.RawMessage
	if err := json.Unmarshal(a.env.Response, &resp); err != nil || len(resp) != 25 {
		t.Fatalf("response: %s", a.body)
	}
	ee := a.env.ExecuteErrors
	next := 0
	for i, c := range cases {
		isFalse := string(resp[i]) == "false"
		if isFalse != (c.code != 0) {
			t.Fatalf("call %d (%s): response %s", i, c.expr, resp[i])
		}
		if !isFalse {
			continue
		}
		if next >= len(ee) {
			t.Fatalf("call %d: no execute_errors entry left", i)
		}
		e := ee[next]
		next++
		if e.Method != c.method || e.Code != c.code || e.Message == "" || e.RequestParams != nil {
			t.Fatalf("call %d: execute_errors entry %+v, want %s %d", i, e, c.method, c.code)
		}
	}
	if next != len(ee) {
		t.Fatalf("%d execute_errors, %d failed calls", len(ee), next)
	}
	if !strings.Contains(string(a.body), `"execute_errors":[{"error_code":18,"method":"wall.get","error_msg":"User was deleted or banned"}`) {
		t.Fatalf("execute_errors encoding: %s", a.body)
	}
	if ee[3].Message != "Access denied: no access to call this method" {
		t.Fatalf("inner kind error: %+v", ee[3])
	}
	// One request in the log: the execute; one message was sent by it.
	if recs := s.Requests().All(); len(recs) != 1 || recs[0].Method != "execute" {
		t.Fatalf("%d records", len(recs))
	}
	if len(s.World().Messages()) != 1 {
		t.Fatal("the inner messages.send did not act")
	}
}

func TestExecuteErrors(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	group := s.Tokens().Of(TokenGroup).Token
	wantError(t, execCode(t, s, user, "return 1"), vkerr.Compile, "Unable to compile code: ';' expected, '' found in line 1")
	wantError(t, execCode(t, s, user, "var a = 1;\nreturn test;"), vkerr.Compile, "Unable to compile code: undefined identifier 'test' in line 2")
	wantError(t, execCode(t, s, user, "var x = [1,\n2,\n3,\n(4];"), vkerr.Compile, "Unable to compile code: ')' expected, ']' found in line 4")
	wantError(t, execCode(t, s, user, `return 1 < "a";`), vkerr.Runtime, "Runtime error occurred during code invocation: Comparing values of different or unsupported types")
	wantError(t, execCode(t, s, user, `var i = 0; while (i < 26) { API.users.get({}); i = i + 1; } return i;`), vkerr.Runtime, "Runtime error occurred during code invocation: too many API calls")
	wantError(t, execCode(t, s, user, `var i = 0; while (true) { i = i + 1; }`), vkerr.Runtime, "Runtime error occurred during code invocation: too many operations")
	wantError(t, execCode(t, s, user, `var s = "0123456789012345678901234567890123456789"; var i = 0; while (i < 18) { s = s + s; i = i + 1; } return s;`),
		vkerr.Runtime, "Runtime error occurred during code invocation: response size is too big")
	wantError(t, post(t, s, "execute", vals("v", "5.199", "access_token", user), nil), vkerr.Param, "One of the parameters specified was missing or invalid: code is undefined")
	wantError(t, execCode(t, s, s.Tokens().Of(TokenService).Token, "return 1;"), vkerr.AppAuth, "")
	// Exactly 25 calls pass; the result of nothing is null.
	if a := execCode(t, s, user, `var i = 0; while (i < 25) { API.users.get({}); i = i + 1; } return i;`); string(a.env.Response) != "25" {
		t.Fatalf("25 calls: %s", a.body)
	}
	if a := execCode(t, s, user, `var a = 1;`); string(a.body) != `{"response":null}` {
		t.Fatalf("no return: %s", a.body)
	}
	// Inner calls are checked for the token kind like direct ones.
	a := execCode(t, s, group, `var p = API.wall.post({message: "x"}); return [p, p.post_id, API.groups.getById()@.id];`)
	if a.code() != 0 || len(a.env.ExecuteErrors) != 1 || a.env.ExecuteErrors[0].Code != vkerr.GroupAuth {
		t.Fatalf("group token: %s", a.body)
	}
	if string(a.env.Response) != `[false,null,null]` {
		// groups.getById answers {"groups": [...]}: plucking from an object is null.
		t.Fatalf("group token response: %s", a.env.Response)
	}
	a = execCode(t, s, group, `return API.groups.getById().groups@.id;`)
	if string(a.env.Response) != `[200000001]` {
		t.Fatalf("pluck: %s", a.body)
	}
	// Args: the other parameters, as strings.
	a = execCode(t, s, user, `return API.users.get({user_ids: Args.ids, fields: "sex"})@.id + [Args.n, parseInt(Args.n) + 1];`, "ids", "5,6", "n", "41")
	if string(a.env.Response) != `[5,6,"41",42]` {
		t.Fatalf("args: %s", a.body)
	}
}

func TestExecuteRateLimitCountsOnce(t *testing.T) {
	clock := newFakeClock()
	s := testServer(t, WithClock(clock.Now))
	user := s.Tokens().Of(TokenUser).Token
	code := `var r = []; var i = 0; while (i < 25) { r.push(API.users.get({user_ids: i + 1})[0].id); i = i + 1; } return r.length;`
	for i := range 3 {
		if a := execCode(t, s, user, code); string(a.env.Response) != "25" {
			t.Fatalf("execute %d: %s", i, a.body)
		}
	}
	wantError(t, execCode(t, s, user, code), vkerr.TooMany, "")
	clock.Advance(time.Second)
	if a := execCode(t, s, user, code); a.code() != 0 {
		t.Fatalf("next second: %s", a.body)
	}
}

func TestStoredProcedures(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	code := `var a = API.wall.get({owner_id: Args.owner, count: 1});
var b = API.users.get({user_ids: Args.owner});
return {"wall": a.count, "user": b[0].id};`
	if st := controlCall(t, s, "POST", "/__vkmock/procedures", Procedure{Name: "ownerInfo", Code: code}, nil); st != http.StatusCreated {
		t.Fatalf("add procedure: %d", st)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/procedures", Procedure{Name: "broken", Code: "return 1"}, nil); st != http.StatusBadRequest {
		t.Fatalf("broken procedure: %d", st)
	}
	var list []Procedure
	controlCall(t, s, "GET", "/__vkmock/procedures", nil, &list)
	if len(list) != 1 || list[0].Name != "ownerInfo" {
		t.Fatalf("procedures %+v", list)
	}
	a := call(t, s, "execute.ownerInfo", vals("v", "5.199", "access_token", user, "owner", "100000002"))
	if string(a.env.Response) != `{"wall":3,"user":100000002}` || a.env.ExecuteErrors != nil {
		t.Fatalf("procedure: %s", a.body)
	}
	// A failing inner call: the procedure is listed after it.
	a = call(t, s, "execute.ownerInfo", vals("v", "5.199", "access_token", user, "owner", "100000003"))
	ee := a.env.ExecuteErrors
	if string(a.env.Response) != `{"wall":null,"user":100000003}` || len(ee) != 2 || ee[0].Method != "wall.get" || ee[1].Method != "execute.ownerInfo" || ee[1].Code != vkerr.UserDeleted {
		t.Fatalf("procedure with a failed call: %s", a.body)
	}
	wantError(t, call(t, s, "execute.noSuch", vals("v", "5.199", "access_token", user)), vkerr.Method, "Unknown method passed")
	controlCall(t, s, "DELETE", "/__vkmock/procedures/ownerInfo", nil, nil)
	wantError(t, call(t, s, "execute.ownerInfo", vals("v", "5.199", "access_token", user)), vkerr.Method, "")
}

// FuzzExecute sends any code to execute: always a VK envelope, never a
// panic or an HTML 500, in bounded time.
func FuzzExecute(f *testing.F) {
	for _, c := range []string{`return API.users.get({user_ids: 1})@.id;`, `return 1`, `var a = [1]; a.push(a); return a;`,
		`var i = 0; while (i < 30) { API.wall.get({owner_id: i}); i = i + 1; }`, `return API.messages.send({peer_id: 1, message: Args.x});`} {
		f.Add(c)
	}
	s := MustNew(WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	f.Fuzz(func(t *testing.T, code string) {
		start := time.Now()
		q := &vkRequest{Name: "execute", Token: user, HasToken: true, Host: "x", Params: []kv{{Key: "v", Value: "5.199"}, {Key: "code", Value: code}, {Key: "x", Value: "hi"}}}
		tok, _, _ := s.lookupToken(user)
		body, _, e := s.execute(q, tok, "")
		if e == nil && !json.Valid(body) {
			t.Fatalf("invalid JSON %q", body)
		}
		if e != nil && e.Code != vkerr.Compile && e.Code != vkerr.Runtime && e.Code != vkerr.Param {
			t.Fatalf("error %v", e)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("execute took %v", d)
		}
	})
}
