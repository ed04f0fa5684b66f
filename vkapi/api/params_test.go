package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkobject"
)

// formAPI returns the typed API over a server that records the form of
// each request and answers body.
func formAPI(t *testing.T, body string) (*API, *[]url.Values) {
	t.Helper()
	var forms []url.Values
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		forms = append(forms, r.PostForm)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	c := vkapi.New("tok", vkapi.WithBaseURL(ts.URL), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}))
	t.Cleanup(func() { _ = c.Close() })
	return New(c), &forms
}

// TestParamsEncoding: integers in decimal, booleans as 1, arrays joined by
// commas, enums as their value, zero fields left out, Extra last.
func TestParamsEncoding(t *testing.T) {
	a, forms := formAPI(t, `{"response":123}`)
	r, err := a.Messages.Send(t.Context(), MessagesSendParams{
		PeerID: 2000000001, Message: "hi", PeerIDs: []int64{1, -2}, DontParseLinks: true,
		Intent: MessagesSendIntentDefault, Lat: 1.5, Extra: vkapi.Params{"random_id": 0, "disable_mentions": "0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Value != 123 || string(r.Raw) != "123" {
		t.Errorf("response %v, raw %s", r.Value, r.Raw)
	}
	f := (*forms)[0]
	want := map[string]string{"peer_id": "2000000001", "message": "hi", "peer_ids": "1,-2", "dont_parse_links": "1",
		"intent": "default", "lat": "1.5", "random_id": "0", "disable_mentions": "0", "v": "5.199"}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	for _, k := range []string{"user_id", "long", "chat_id", "domain", "sticker_id", "keyboard"} {
		if f.Has(k) {
			t.Errorf("the zero %s was sent", k)
		}
	}

	if _, err := a.Users.Get(t.Context(), UsersGetParams{UserIDs: []string{"1", "durov"}, Fields: []vkobject.UsersFields{vkobject.UsersFieldsPhoto100, "sex"},
		NameCase: vkobject.BaseNameCaseGenitive}); err != nil {
		t.Fatal(err)
	}
	f = (*forms)[1]
	if f.Get("user_ids") != "1,durov" || f.Get("fields") != "photo_100,sex" || f.Get("name_case") != "Gen" {
		t.Errorf("users.get form %v", f)
	}
}

// TestRequiredParam: a required parameter left unset fails the call with
// its name, and no request is sent; Extra may set it.
func TestRequiredParam(t *testing.T) {
	a, forms := formAPI(t, `{"response":1}`)
	_, err := a.Messages.Edit(t.Context(), MessagesEditParams{Message: "x"})
	mp, ok := errors.AsType[*MissingParamError](err)
	if !ok || mp.Method != "messages.edit" || mp.Param != "peer_id" {
		t.Fatalf("err = %v, want a *MissingParamError for peer_id", err)
	}
	if len(*forms) != 0 {
		t.Errorf("%d requests sent", len(*forms))
	}
	if _, err := a.Messages.Edit(t.Context(), MessagesEditParams{Extra: vkapi.Params{"peer_id": 1}}); err != nil {
		t.Errorf("peer_id through Extra: %v", err)
	}
	// A required enum whose values include 0 is sent even when 0.
	if _, err := a.Wall.ReportPost(t.Context(), WallReportPostParams{OwnerID: 1, PostID: 2}); err != nil {
		t.Fatal(err)
	}
	if f := (*forms)[len(*forms)-1]; f.Get("reason") != "0" {
		t.Errorf("reason = %q, want 0", f.Get("reason"))
	}
}

// TestExtended: the ...Extended method sends extended=1 and decodes the
// extended response.
func TestExtended(t *testing.T) {
	a, forms := formAPI(t, `{"response":{"count":1,"items":[{"id":7,"text":"t"}],"profiles":[{"id":1,"first_name":"A"}],"groups":[]}}`)
	r, err := a.Wall.GetExtended(t.Context(), WallGetParams{OwnerID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if (*forms)[0].Get("extended") != "1" || r.Count != 1 || len(r.Items) != 1 || r.Items[0].ID != 7 || len(r.Profiles) != 1 || r.Profiles[0].FirstName != "A" {
		t.Errorf("form %v, response %+v", (*forms)[0], r)
	}
}

// TestErrors: the errors the schema lists for a method, from the catalogue.
func TestErrors(t *testing.T) {
	infos := Errors("messages.send")
	if len(infos) != 25 || infos[0].Code != 900 || infos[0].RemedyEN == "" {
		t.Errorf("Errors(messages.send) = %d entries, first %+v", len(infos), infos[0])
	}
	if Errors("users.get") != nil || Errors("no.such") != nil {
		t.Error("errors for a method that lists none")
	}
	n := 0
	for _, e := range proofTable {
		if e.variant != "extendedResponse" && len(Errors(e.method)) > 0 {
			n++
		}
	}
	if n != 252 {
		t.Errorf("%d methods list errors, the issue counts 252", n)
	}
}
