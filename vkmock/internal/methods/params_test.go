package methods

import (
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// TestValidate: the detail of error 100 in VK's words, for each kind of
// parameter (the same cases go through HTTP in vkmock's
// TestCheck8Params).
func TestValidate(t *testing.T) {
	tab := embedded(t)
	msgs := tab.Messages()
	long := strings.TrimSuffix(strings.Repeat("1,", 1001), ",")
	cases := []struct {
		method string
		kv     []string
		detail string // "" for valid parameters
	}{
		{"friends.areFriends", nil, "user_ids is undefined"},
		{"friends.areFriends", []string{"user_ids", ""}, "user_ids is undefined"},
		{"friends.areFriends", []string{"user_ids", "1,x"}, "user_ids not integer"},
		{"friends.areFriends", []string{"user_ids", long}, "user_ids has too many items, max 1000"},
		{"friends.areFriends", []string{"user_ids", "1,2,3"}, ""},
		{"users.getFollowers", []string{"count", "abc"}, "count not integer"},
		{"users.getFollowers", []string{"count", "99999999999999999999999"}, "count not integer"},
		{"users.getFollowers", []string{"count", "-1"}, "count should be greater or equal to 0"},
		{"users.getFollowers", []string{"count", "1001"}, "count should be less or equal to 1000"},
		{"users.getFollowers", []string{"name_case", "xyz"}, "name_case is invalid"},
		{"users.getFollowers", []string{"name_case", "nom"}, ""},
		{"users.getFollowers", []string{"name_case", "NOM"}, ""},
		{"users.get", []string{"fields", "photo_100,nonsense"}, "fields is invalid"},
		{"users.get", []string{"fields", "photo_100,screen_name"}, ""},
		{"messages.getHistory", []string{"extended", "maybe"}, "extended is invalid"},
		{"messages.getHistory", []string{"extended", "1", "count", "200"}, ""},
		{"secure.sendNotification", []string{"user_ids", "1"}, "message is undefined"},
		{"users.get", []string{"lang", "\xff\xfe"}, "lang is invalid"},
		{"wall.getById", []string{"posts", "1_2,abc"}, "posts is invalid"},
		{"wall.getById", []string{"posts", "1_2,-3_4"}, ""},
	}
	for _, c := range cases {
		m := tab.Method(c.method)
		e := m.Validate(request(c.method, c.kv...), msgs)
		switch {
		case c.detail == "" && e != nil:
			t.Errorf("%s %q: %v, want valid", c.method, c.kv, e)
		case c.detail != "" && e == nil:
			t.Errorf("%s %q: valid, want %q", c.method, c.kv, c.detail)
		case c.detail != "" && (e.Code != vkerr.Param || e.Message != "One of the parameters specified was missing or invalid: "+c.detail):
			t.Errorf("%s %q: %d %q, want 100 %q", c.method, c.kv, e.Code, e.Message, c.detail)
		}
	}
}

// TestTokenKinds: the kinds each method takes, as the schema lists them.
func TestTokenKinds(t *testing.T) {
	tab := embedded(t)
	for _, c := range []struct {
		method               string
		user, group, service bool
		open                 bool
	}{
		{"account.getInfo", true, false, false, false},
		{"messages.send", true, true, false, false},
		{"secure.getUserLevel", false, false, true, false},
		{"groups.getTokenPermissions", false, true, false, false},
		// bugtracker.* has no kinds in the schema: user tokens.
		{"bugtracker.getCompanyMembers", true, false, false, false},
	} {
		m := tab.Method(c.method)
		if m == nil {
			t.Fatalf("%s: not in the table", c.method)
		}
		got := [4]bool{m.Accepts(vkerr.KindUser), m.Accepts(vkerr.KindGroup), m.Accepts(vkerr.KindService), m.Open()}
		if want := [4]bool{c.user, c.group, c.service, c.open}; got != want {
			t.Errorf("%s: user, group, service, open = %v, want %v", c.method, got, want)
		}
		if m.Accepts(vkerr.KindUnknown) {
			t.Errorf("%s accepts a token of unknown kind", c.method)
		}
	}
	open := 0
	for _, m := range tab.Methods() {
		if m.Open() {
			open++
		}
	}
	if open == 0 {
		t.Error("no method may be called without a token")
	}
}

func TestTableErrors(t *testing.T) {
	tab := embedded(t)
	if tab.Version() != SchemaVersion {
		t.Fatalf("version %s, want %s", tab.Version(), SchemaVersion)
	}
	if !tab.Global(vkerr.TooMany) || tab.Global(vkerr.Code(100000)) {
		t.Fatal("global codes: 6 must be global, 100000 not")
	}
	if tab.Method("Users.get") != nil || tab.Method("users.get") == nil {
		t.Fatal("method names are case-sensitive")
	}
	send := tab.Method("messages.send")
	if send.Section() != "messages" || !send.Lists(vkerr.Code(901)) || send.Lists(vkerr.TooMany) {
		t.Fatalf("messages.send: section %s, lists 901 %v, lists 6 %v", send.Section(), send.Lists(901), send.Lists(vkerr.TooMany))
	}
	if got := tab.Messages().Of(vkerr.TooMany); got != "Too many requests per second" {
		t.Fatalf("message of 6: %q", got)
	}
}

func TestLoadDir(t *testing.T) {
	dir := "../../../../shared/vk-api-schema"
	tab, err := LoadDir(dir)
	if err != nil {
		t.Skip("schema not found:", err)
	}
	if len(tab.Methods()) != embeddedMethods || tab.Version() != SchemaVersion {
		t.Fatalf("%d methods, schema %s", len(tab.Methods()), tab.Version())
	}
	if _, err := LoadDir(t.TempDir()); err == nil {
		t.Fatal("empty schema directory loaded")
	}
}

// FuzzValidate: any parameters get nil or error 100, never a panic.
func FuzzValidate(f *testing.F) {
	tab := embedded(f)
	msgs := tab.Messages()
	f.Add("wall.getById", "posts", "1_2,-3_4")
	f.Add("users.getFollowers", "count", "-1")
	f.Add("friends.areFriends", "user_ids", "1,,2")
	f.Add("users.get", "fields", "\xff")
	f.Fuzz(func(t *testing.T, method, key, value string) {
		m := tab.Method(method)
		if m == nil {
			m = tab.Methods()[len(method)%len(tab.Methods())]
		}
		q := &core.Request{Name: m.Name(), Params: []core.KV{{Key: key, Value: value}}}
		if e := m.Validate(q, msgs); e != nil && (e.Code != vkerr.Param || !strings.HasPrefix(e.Message, msgs.Of(vkerr.Param)+": ")) {
			t.Fatalf("%s %s=%q: %d %q", m.Name(), key, value, e.Code, e.Message)
		}
	})
}
