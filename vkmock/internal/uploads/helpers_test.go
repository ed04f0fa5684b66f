package uploads

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

// testWorld is a world whose owner of a call is the caller.
type testWorld struct{}

func (testWorld) Owner(_ *core.Request, tok core.Token) (int64, *vkerr.Error) {
	return core.Caller(tok), nil
}

// testFaults matches the rules of a faults.Set against upload requests.
type testFaults struct{ set *faults.Set }

func (f testFaults) Match(q *core.Request, phase string) *faults.Fault {
	return f.set.Match(&faults.Request{Method: q.Name, Params: q}, phase, false)
}

func (f testFaults) Delay(rule *faults.Fault) time.Duration { return f.set.Delay(rule) }

func (f testFaults) Error(rule *faults.Fault, _ *core.Request) *vkerr.Error {
	return &vkerr.Error{Code: rule.Error.Code, Message: core.Messages{}.Of(rule.Error.Code)}
}

// newTestRoom is a room on a clock of its own, with no fault rule unless
// the test adds one to the returned set.
func newTestRoom(t testing.TB, d Deps) (*Room, *faults.Set) {
	t.Helper()
	set := &faults.Set{}
	set.Init(1, time.Minute)
	d.Clock = core.NewClock(func() time.Time { return time.Unix(1_700_000_000, 0) })
	if d.World == nil {
		d.World = testWorld{}
	}
	d.Faults = testFaults{set}
	return New(d), set
}

// groupToken is a community's token.
var groupToken = core.Token{Token: "group-token", Kind: vkerr.KindGroup, GroupID: 7}

// call calls one of the room's methods with params (key, value, ...).
func call(t testing.TB, r *Room, tok core.Token, method string, params ...string) ([]byte, *vkerr.Error) {
	t.Helper()
	q := &core.Request{Name: method, Token: tok.Token, HasToken: true, Host: "127.0.0.1"}
	for i := 0; i+1 < len(params); i += 2 {
		q.Params = append(q.Params, core.KV{Key: params[i], Value: params[i+1]})
	}
	h := r.Methods()[method]
	if h == nil {
		t.Fatalf("the room does not answer %s", method)
	}
	return h(q, tok)
}

// uploadURL calls a get-upload-server method and returns upload_url.
func uploadURL(t testing.TB, r *Room, tok core.Token, method string, params ...string) string {
	t.Helper()
	b, e := call(t, r, tok, method, params...)
	var a struct {
		UploadURL string `json:"upload_url"`
	}
	if e != nil || json.Unmarshal(b, &a) != nil || a.UploadURL == "" {
		t.Fatalf("%s: %s %v", method, b, e)
	}
	return a.UploadURL
}

// post posts one file as multipart to u and returns the answer, which
// must be HTTP 200.
func post(t testing.TB, r *Room, u, field, name string, data []byte) []byte {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("upload answered %d: %s", w.Code, w.Body.Bytes())
	}
	return w.Body.Bytes()
}
