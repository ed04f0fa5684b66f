package vkmock

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// worldCall calls a method and, for a response, checks it against the
// method's response schema.
func worldCall(t *testing.T, s *Server, method, token string, args ...string) *answer {
	t.Helper()
	params := vals(append([]string{"v", "5.199", "access_token", token}, args...)...)
	a := call(t, s, method, params)
	// VK answers utils.resolveScreenName for an unknown name with [], which
	// the schema (an object) does not describe; the mock does as VK does.
	if a.code() == 0 && !(method == "utils.resolveScreenName" && string(a.env.Response) == "[]") {
		q := &vkRequest{Name: method}
		for k, vs := range params {
			q.Params = append(q.Params, kv{Key: k, Value: vs[0]})
		}
		v := s.schema.Method(method).Select(q)
		if err := v.Check(a.env.Response, method+"/"+v.Name()); err != nil {
			t.Fatalf("%s %v: answer not valid against the schema: %v\n%s", method, args, err, a.env.Response)
		}
	}
	return a
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestWorldUsersAndGroups(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	group := s.Tokens().Of(TokenGroup).Token
	var users []map[string]any
	a := worldCall(t, s, "users.get", user, "user_ids", id(DefaultUserID)+","+id(WorldDeletedUserID)+","+id(WorldBannedUserID)+","+id(WorldPrivateUserID)+",mock_friend,id77", "fields", "photo_100,screen_name,sex")
	if err := json.Unmarshal(a.env.Response, &users); err != nil || len(users) != 6 {
		t.Fatalf("users.get: %s", a.body)
	}
	if users[0]["screen_name"] != "mock_owner" || users[1]["deactivated"] != "deleted" || users[2]["deactivated"] != "banned" ||
		users[3]["is_closed"] != true || users[3]["can_access_closed"] != false || users[4]["id"] != float64(WorldFriendID) || users[5]["id"] != float64(77) {
		t.Fatalf("users: %v", users)
	}
	// Without user_ids: the token's user; a community token gets none.
	_ = json.Unmarshal(worldCall(t, s, "users.get", user).env.Response, &users)
	if len(users) != 1 || users[0]["id"] != float64(DefaultUserID) {
		t.Fatalf("users.get of self: %v", users)
	}
	if a := worldCall(t, s, "users.get", group); string(a.env.Response) != "[]" {
		t.Fatalf("users.get with a community token: %s", a.body)
	}
	for _, bad := range []string{"no_such_name", "0", "-5", "99999999999", "mock_community"} {
		wantError(t, worldCall(t, s, "users.get", user, "user_ids", bad), vkerr.ParamUserID, "Invalid user id")
	}
	var g struct {
		Groups []map[string]any `json:"groups"`
	}
	a = worldCall(t, s, "groups.getById", user, "group_ids", id(DefaultGroupID)+",mock_closed,club"+id(WorldPrivateGroupID)+",555", "fields", "members_count")
	if err := json.Unmarshal(a.env.Response, &g); err != nil || len(g.Groups) != 4 {
		t.Fatalf("groups.getById: %s", a.body)
	}
	if g.Groups[1]["is_closed"] != float64(1) || g.Groups[1]["is_member"] != float64(1) || g.Groups[2]["is_closed"] != float64(2) || g.Groups[2]["is_member"] != float64(0) {
		t.Fatalf("groups: %v", g.Groups)
	}
	_ = json.Unmarshal(worldCall(t, s, "groups.getById", group).env.Response, &g)
	if len(g.Groups) != 1 || g.Groups[0]["id"] != float64(DefaultGroupID) {
		t.Fatalf("groups.getById of self: %v", g)
	}
	wantError(t, worldCall(t, s, "groups.getById", user, "group_ids", "no_such_club"), vkerr.Param, "One of the parameters specified was missing or invalid: group_ids is undefined")
	wantError(t, worldCall(t, s, "groups.getById", user, "group_id", "-3"), vkerr.Param, "One of the parameters specified was missing or invalid: group_id is undefined")
	wantError(t, worldCall(t, s, "groups.getById", user), vkerr.Param, "One of the parameters specified was missing or invalid: group_ids is undefined")
}

func TestWorldWallsAndAlbums(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	service := s.Tokens().Of(TokenService).Token
	var wall struct {
		Count int    `json:"count"`
		Items []Post `json:"items"`
	}
	_ = json.Unmarshal(worldCall(t, s, "wall.get", user, "count", "2").env.Response, &wall)
	if wall.Count != 3 || len(wall.Items) != 2 || wall.Items[0].Date < wall.Items[1].Date || wall.Items[0].OwnerID != DefaultUserID {
		t.Fatalf("own wall: %+v", wall)
	}
	worldCall(t, s, "wall.get", user, "extended", "1")
	// Target errors, distinct from token errors.
	wantError(t, worldCall(t, s, "wall.get", user, "owner_id", id(WorldDeletedUserID)), vkerr.UserDeleted, "User was deleted or banned")
	wantError(t, worldCall(t, s, "wall.get", user, "owner_id", id(WorldBannedUserID)), vkerr.UserDeleted, "")
	wantError(t, worldCall(t, s, "wall.get", user, "owner_id", id(WorldPrivateUserID)), vkerr.PrivateProfile, "This profile is private")
	wantError(t, worldCall(t, s, "wall.get", service, "owner_id", "-"+id(WorldClosedGroupID)), vkerr.Access, "Access denied: this wall available only for community members")
	wantError(t, worldCall(t, s, "wall.get", user, "owner_id", "-"+id(WorldPrivateGroupID)), vkerr.AccessGroup, "Access to group denied")
	wantError(t, worldCall(t, s, "wall.get", service), vkerr.Param, "One of the parameters specified was missing or invalid: owner_id is undefined")
	wantError(t, worldCall(t, s, "wall.get", user, "owner_id", "abc"), vkerr.Param, "One of the parameters specified was missing or invalid: owner_id is invalid")
	if a := worldCall(t, s, "wall.get", user, "owner_id", "-"+id(WorldClosedGroupID)); a.code() != 0 {
		t.Fatalf("member reads the closed wall: %s", a.body)
	}
	if a := worldCall(t, s, "wall.get", user, "domain", "mock_friend"); a.code() != 0 {
		t.Fatalf("wall by domain: %s", a.body)
	}
	// wall.post adds to the wall.
	var posted struct {
		PostID int64 `json:"post_id"`
	}
	_ = json.Unmarshal(worldCall(t, s, "wall.post", user, "owner_id", "-"+id(DefaultGroupID), "from_group", "1", "message", "news").env.Response, &posted)
	_ = json.Unmarshal(worldCall(t, s, "wall.get", user, "owner_id", "-"+id(DefaultGroupID), "count", "1").env.Response, &wall)
	if wall.Count != 4 || wall.Items[0].ID != posted.PostID || wall.Items[0].FromID != -DefaultGroupID || wall.Items[0].Text != "news" {
		t.Fatalf("after wall.post: %+v (post %d)", wall, posted.PostID)
	}
	wantError(t, worldCall(t, s, "wall.post", user, "owner_id", id(WorldPrivateUserID), "message", "x"), vkerr.WallAddPost, "")
	wantError(t, worldCall(t, s, "wall.post", user, "owner_id", id(WorldDeletedUserID), "message", "x"), vkerr.UserDeleted, "")
	wantError(t, worldCall(t, s, "wall.post", user), vkerr.Param, "One of the parameters specified was missing or invalid: message is empty or invalid")

	var albums struct {
		Count int     `json:"count"`
		Items []Album `json:"items"`
	}
	_ = json.Unmarshal(worldCall(t, s, "photos.getAlbums", user).env.Response, &albums)
	if albums.Count != 2 || albums.Items[1].ID != WorldFullAlbumID || albums.Items[1].Size != 10000 {
		t.Fatalf("albums: %+v", albums)
	}
	wantError(t, worldCall(t, s, "photos.getAlbums", user, "owner_id", id(WorldPrivateUserID)), vkerr.PrivateProfile, "")
	wantError(t, worldCall(t, s, "photos.getUploadServer", user, "album_id", id(WorldFullAlbumID)), vkerr.AlbumFull, "This album is full")
	if a := worldCall(t, s, "photos.getUploadServer", user, "album_id", id(WorldMainAlbumID)); a.code() != 0 {
		t.Fatalf("upload server of the main album: %s", a.body)
	}
}

func TestWorldUtilsAndPermissions(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	for name, want := range map[string]string{
		"mock_friend": `{"type":"user","object_id":` + id(WorldFriendID) + `}`, "mock_closed": `{"type":"group","object_id":` + id(WorldClosedGroupID) + `}`,
		"id42": `{"type":"user","object_id":42}`, "club7": `{"type":"` + world.DerivedGroup(s.Seed(), 7).Type + `","object_id":7}`, "nobody_here": `[]`,
	} {
		if a := worldCall(t, s, "utils.resolveScreenName", user, "screen_name", name); string(a.env.Response) != want {
			t.Errorf("resolve %s: %s, want %s", name, a.env.Response, want)
		}
	}
	var mask int64
	_ = json.Unmarshal(worldCall(t, s, "account.getAppPermissions", user).env.Response, &mask)
	if mask&4096 == 0 || mask&8192 == 0 || mask&65536 == 0 {
		t.Fatalf("permissions %d", mask)
	}
	limited, _ := s.Tokens().Create(Token{Kind: TokenUser, Scopes: []string{"photos"}})
	_ = json.Unmarshal(worldCall(t, s, "account.getAppPermissions", limited.Token).env.Response, &mask)
	if mask != 4 {
		t.Fatalf("photos only: %d", mask)
	}
	worldCall(t, s, "utils.getServerTime", user)
}

func TestWorldControlAndDeterminism(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	if st := controlCall(t, s, "POST", "/__vkmock/world/users", User{ID: 500, FirstName: "Ann", LastName: "Lee", ScreenName: "ann_lee", Deactivated: "deleted"}, nil); st != http.StatusOK {
		t.Fatalf("put user: %d", st)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/world/groups", Group{ID: 600, Name: "Club", IsClosed: 2, Members: []int64{DefaultUserID}}, nil); st != http.StatusOK {
		t.Fatalf("put group: %d", st)
	}
	controlCall(t, s, "POST", "/__vkmock/world/albums", Album{ID: 700, OwnerID: DefaultUserID, Title: "Tiny", Size: 1, Capacity: 1}, nil)
	controlCall(t, s, "POST", "/__vkmock/world/posts", Post{OwnerID: -600, Text: "inside"}, nil)
	if st := controlCall(t, s, "POST", "/__vkmock/world/users", User{ID: -1}, nil); st != http.StatusBadRequest {
		t.Fatalf("bad user: %d", st)
	}
	if st := controlCall(t, s, "POST", "/__vkmock/world/users", User{ID: 9, ScreenName: "id5"}, nil); st != http.StatusBadRequest {
		t.Fatalf("reserved screen name: %d", st)
	}
	wantError(t, worldCall(t, s, "wall.get", user, "domain", "ann_lee"), vkerr.UserDeleted, "")
	var wall struct {
		Items []Post `json:"items"`
	}
	_ = json.Unmarshal(worldCall(t, s, "wall.get", user, "owner_id", "-600").env.Response, &wall)
	if len(wall.Items) != 1 || wall.Items[0].Text != "inside" {
		t.Fatalf("member of the private club: %+v", wall)
	}
	wantError(t, worldCall(t, s, "photos.getUploadServer", user, "album_id", "700"), vkerr.AlbumFull, "")
	var w World
	controlCall(t, s, "GET", "/__vkmock/world", nil, &w)
	if len(w.Users) != 6 || len(w.Groups) != 4 || len(w.Albums) != 3 {
		t.Fatalf("world: %d users, %d groups, %d albums", len(w.Users), len(w.Groups), len(w.Albums))
	}
	// Reset forgets the edits; the same seed gives the same world.
	s.Reset()
	if a := worldCall(t, s, "wall.get", user, "domain", "ann_lee"); a.code() != vkerr.Param {
		t.Fatalf("edit survived Reset: %s", a.body)
	}
	a, b, c := MustNew(WithSeed(5)), MustNew(WithSeed(5)), MustNew(WithSeed(6))
	wa, _ := json.Marshal(a.World().Snapshot())
	wb, _ := json.Marshal(b.World().Snapshot())
	wc, _ := json.Marshal(c.World().Snapshot())
	if string(wa) != string(wb) || string(wa) == string(wc) {
		t.Fatal("the world is not determined by the seed")
	}
	if ua, _ := b.world.User(123); ua != world.DerivedUser(5, 123) || ua.ID != 123 {
		t.Fatal("derived users differ")
	}
	// Captchas are determined by the seed too.
	q := &vkRequest{Name: "wall.post", Token: "t", Host: "x"}
	ea, eb := a.chal.NewCaptchaError(q, "legacy", 1, false), b.chal.NewCaptchaError(q, "legacy", 1, false)
	ka, _ := a.Challenges().Captcha(ea.CaptchaSID)
	kb, _ := b.Challenges().Captcha(eb.CaptchaSID)
	if ea.CaptchaSID != eb.CaptchaSID || ka.Key != kb.Key {
		t.Fatal("captchas differ for one seed")
	}
}

func TestConfigWorldChallengesProcedures(t *testing.T) {
	cfg, err := LoadConfig("testdata/config_part2.json")
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, WithConfig(cfg), WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	if u, _ := s.world.User(123); u.FirstName != "Config" {
		t.Fatalf("configured user: %+v", u)
	}
	if len(s.Challenges().Rules().Confirm) != 1 || len(s.Procedures().List()) != 1 {
		t.Fatalf("challenges %+v, procedures %+v", s.Challenges().Rules(), s.Procedures().List())
	}
	wantError(t, worldCall(t, s, "wall.post", user, "message", "x"), vkerr.NeedConfirmation, "")
	a := call(t, s, "execute.hello", vals("v", "5.199", "access_token", user, "name", "Bob"))
	if string(a.env.Response) != `"hello, Bob"` {
		t.Fatalf("configured procedure: %s", a.body)
	}
	if _, err := ParseConfig(strings.NewReader(`{"procedures": {"bad": "return 1"}}`)); err != nil {
		t.Fatal(err) // parses; New refuses it
	}
	bad, _ := ParseConfig(strings.NewReader(`{"procedures": {"bad": "return 1"}}`))
	if _, err := New(WithConfig(bad)); err == nil {
		t.Fatal("a procedure that does not compile was accepted")
	}
}

// account.setOnline keeps the user's presence in its User Long Poll state,
// which it makes: the user's later messages are in its history.
func TestSetOnlineMakesUserLongPollState(t *testing.T) {
	s := testServer(t, WithRateLimits(false))
	user := s.Tokens().Of(TokenUser).Token
	if a := worldCall(t, s, "messages.getLongPollHistory", user, "ts", "1"); a.code() != vkerr.Code(908) {
		t.Fatalf("history without state: %s", a.body)
	}
	if a := worldCall(t, s, "account.setOnline", user); a.code() != 0 {
		t.Fatalf("setOnline: %s", a.body)
	}
	if a := worldCall(t, s, "messages.send", user, "peer_id", id(WorldFriendID), "message", "hi", "random_id", "1"); a.code() != 0 {
		t.Fatalf("send: %s", a.body)
	}
	// (The history's update arrays are VK's, not the schema's: no
	// validation against it.)
	a := call(t, s, "messages.getLongPollHistory", vals("v", "5.199", "access_token", user, "ts", "0"))
	if a.code() != 0 || !strings.Contains(string(a.env.Response), `"text":"hi"`) {
		t.Fatalf("history after setOnline: %s", a.body)
	}
}
