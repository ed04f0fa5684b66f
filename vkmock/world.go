package vkmock

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// The world is a small, seeded set of users, communities, albums, posts and
// messages that the world methods answer from (see the package
// documentation). Explicit entities are listed in World; any other user id
// from 1 to MaxUserID and any other community id from 1 to MaxGroupID is an
// ordinary active user or open community whose name is derived from the
// seed, so that a client may use any plausible id.

// The ids of the world's special entities.
const (
	// WorldFriendID is an active user with a screen name, DefaultUserID's
	// friend: account.setOnline of one is User Long Poll update 8 to the
	// other.
	WorldFriendID int64 = 100000002
	// WorldDeletedUserID is a deleted user: 18 as a target.
	WorldDeletedUserID int64 = 100000003
	// WorldBannedUserID is a banned user: 18 as a target.
	WorldBannedUserID int64 = 100000004
	// WorldPrivateUserID has a private profile: 30 for wall.get and
	// photos.getAlbums by others, 902 for messages.send.
	WorldPrivateUserID int64 = 100000005
	// WorldClosedGroupID is a closed community; DefaultUserID is a member:
	// others get 15 on its wall.
	WorldClosedGroupID int64 = 200000002
	// WorldPrivateGroupID is a private community without members: 203.
	WorldPrivateGroupID int64 = 200000003
	// WorldMainAlbumID and WorldFullAlbumID are DefaultUserID's albums;
	// the second is full (300 on photos.getUploadServer).
	WorldMainAlbumID int64 = 300000001
	WorldFullAlbumID int64 = 300000002
)

// The ranges of valid ids.
const (
	MaxUserID  int64 = 1_999_999_999
	MaxGroupID int64 = 1_999_999_999
	// ChatPeerBase is added to a chat id to make its peer_id.
	ChatPeerBase int64 = 2_000_000_000
)

// User is a user of the world.
type User struct {
	ID         int64  `json:"id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	ScreenName string `json:"screen_name,omitempty"`
	// Deactivated is "deleted" or "banned"; empty for an active user.
	Deactivated string `json:"deactivated,omitempty"`
	// IsClosed is a private profile.
	IsClosed bool `json:"is_closed"`
	Sex      int  `json:"sex"` // 0 unknown, 1 female, 2 male
}

// Group is a community of the world.
type Group struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	ScreenName string `json:"screen_name,omitempty"`
	// IsClosed is 0 (open), 1 (closed) or 2 (private).
	IsClosed int     `json:"is_closed"`
	Type     string  `json:"type"` // "group", "page" or "event"
	Members  []int64 `json:"members,omitempty"`
}

// Album is a photo album.
type Album struct {
	ID      int64  `json:"id"`
	OwnerID int64  `json:"owner_id"`
	Title   string `json:"title"`
	Size    int    `json:"size"`
	// Capacity is the most photos the album holds (VK: 10 000); an album
	// with Size >= Capacity is full.
	Capacity int   `json:"capacity"`
	Created  int64 `json:"created"`
}

// Post is a wall post.
type Post struct {
	ID      int64  `json:"id"`
	OwnerID int64  `json:"owner_id"`
	FromID  int64  `json:"from_id"`
	Date    int64  `json:"date"`
	Text    string `json:"text"`
}

// MaxMessages is the most messages Limits.Messages may keep; the default
// is DefaultMessages.
const MaxMessages = 1_000_000

// Message is a message delivered by messages.send.
type Message struct {
	ID       int64  `json:"id"`
	FromID   int64  `json:"from_id"`
	PeerID   int64  `json:"peer_id"`
	RandomID int64  `json:"random_id"`
	Message  string `json:"message"`
	Date     int64  `json:"date"`
	// Attachments are the attachment parameter's items ("photo1_2",
	// "doc-3_4_key"), as sent: the mock keeps no media.
	Attachments []string `json:"attachments,omitempty"`
	// DeletedForAll is a message messages.delete removed for both sides:
	// it can no longer be edited, read, marked or deleted.
	DeletedForAll bool `json:"deleted_for_all,omitempty"`
}

// World is a snapshot of the world's explicit entities (GET
// /__vkmock/world), also usable in a configuration file to add entities.
type World struct {
	Users  []User  `json:"users"`
	Groups []Group `json:"groups"`
	Albums []Album `json:"albums"`
	Posts  []Post  `json:"posts"`
}

type msgKey struct{ from, peer, random int64 }

type world struct {
	// version changes with every edit of users, groups, albums and posts,
	// so cached answers of the reading methods go stale.
	version  atomic.Uint64
	mu       sync.RWMutex
	users    map[int64]User
	groups   map[int64]Group
	albums   map[int64]Album
	posts    map[int64][]Post // by owner, oldest first
	postSeq  int64
	byName   map[string]int64 // screen name → id (negative for groups)
	messages fifo.FIFO[Message]
	dedup    map[msgKey]int64
	msgSeq   int64
	order    fifo.FIFO[postRef] // every post, oldest first, for eviction
	limits   Limits
}

// postRef names a post in the eviction order.
type postRef struct{ owner, id int64 }

// Estimated bytes of a stored message or post besides its text.
const (
	messageOverhead = 96
	postOverhead    = 96
)

var worldFirstNames = []string{"Ivan", "Maria", "Pavel", "Anna", "Sergei", "Olga", "Dmitry", "Elena", "Nikolai", "Irina", "Alexei", "Tatiana"}
var worldLastNames = []string{"Petrov", "Ivanova", "Smirnov", "Kuznetsova", "Popov", "Sokolova", "Lebedev", "Kozlova", "Novikov", "Morozova"}

// femaleLastNames maps each last name to its feminine form.
var femaleLastNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range worldLastNames {
		if strings.HasSuffix(n, "a") {
			m[n] = n
		} else {
			m[n] = n + "a"
		}
	}
	return m
}()

// seedHash hashes the seed with labels.
func seedHash(seed int64, parts ...string) uint64 {
	h := core.HashString(core.HashStart, strconv.FormatInt(seed, 10))
	for _, p := range parts {
		h = core.HashString(h, p)
	}
	return h
}

// derivedUser is the user with an id the world does not list.
func derivedUser(seed, id int64) User {
	var buf [20]byte
	h := core.HashString(seedHash(seed, "user"), string(strconv.AppendInt(buf[:0], id, 10)))
	first := worldFirstNames[h%uint64(len(worldFirstNames))]
	last := worldLastNames[(h/16)%uint64(len(worldLastNames))]
	if strings.HasSuffix(first, "a") {
		return User{ID: id, FirstName: first, LastName: femaleLastNames[last], Sex: 1}
	}
	return User{ID: id, FirstName: first, LastName: strings.TrimSuffix(last, "a"), Sex: 2}
}

func derivedGroup(seed, id int64) Group {
	h := seedHash(seed, "group", strconv.FormatInt(id, 10))
	kinds := []string{"group", "page", "event"}
	return Group{ID: id, Name: "Community " + strconv.FormatInt(id, 10), Type: kinds[h%3]}
}

// reset builds the seeded world and adds the configured entities.
func (w *world) reset(seed int64, now int64, extra *World) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.version.Add(1)
	w.users = map[int64]User{}
	w.groups = map[int64]Group{}
	w.albums = map[int64]Album{}
	w.posts = map[int64][]Post{}
	w.byName = map[string]int64{}
	w.messages = fifo.New[Message](min(w.limits.Messages, MaxMessages), w.limits.MessageBytes)
	w.order = fifo.New[postRef](w.limits.Posts, w.limits.PostBytes)
	w.dedup = map[msgKey]int64{}
	w.msgSeq, w.postSeq = 0, 0
	put := func(u User) { w.putUserLocked(u) }
	owner := derivedUser(seed, DefaultUserID)
	owner.ScreenName = "mock_owner"
	put(owner)
	friend := derivedUser(seed, WorldFriendID)
	friend.ScreenName = "mock_friend"
	put(friend)
	put(User{ID: WorldDeletedUserID, FirstName: "DELETED", Deactivated: "deleted"})
	banned := derivedUser(seed, WorldBannedUserID)
	banned.Deactivated = "banned"
	put(banned)
	private := derivedUser(seed, WorldPrivateUserID)
	private.IsClosed = true
	private.ScreenName = "mock_private"
	put(private)
	w.putGroupLocked(Group{ID: DefaultGroupID, Name: "Mock Community", ScreenName: "mock_community", Type: "group"})
	w.putGroupLocked(Group{ID: WorldClosedGroupID, Name: "Mock Closed Club", ScreenName: "mock_closed", IsClosed: 1, Type: "group", Members: []int64{DefaultUserID}})
	w.putGroupLocked(Group{ID: WorldPrivateGroupID, Name: "Mock Private Club", ScreenName: "mock_private_club", IsClosed: 2, Type: "group"})
	w.albums[WorldMainAlbumID] = Album{ID: WorldMainAlbumID, OwnerID: DefaultUserID, Title: "Main", Size: 3, Capacity: 10000, Created: now - 86400*30}
	w.albums[WorldFullAlbumID] = Album{ID: WorldFullAlbumID, OwnerID: DefaultUserID, Title: "Full", Size: 10000, Capacity: 10000, Created: now - 86400*20}
	for i, owner := range []int64{DefaultUserID, WorldFriendID, WorldPrivateUserID, -DefaultGroupID, -WorldClosedGroupID, -WorldPrivateGroupID} {
		for j := range 3 {
			from := owner
			w.addPostLocked(Post{OwnerID: owner, FromID: from, Date: now - int64(86400*(10-j)+3600*i), Text: fmt.Sprintf("Post %d of %d", j+1, owner)})
		}
	}
	if extra != nil {
		for _, u := range extra.Users {
			if err := validUser(u); err != nil {
				return err
			}
			w.putUserLocked(u)
		}
		for _, g := range extra.Groups {
			if err := validGroup(g); err != nil {
				return err
			}
			w.putGroupLocked(g)
		}
		for _, a := range extra.Albums {
			if err := validAlbum(a); err != nil {
				return err
			}
			w.albums[a.ID] = a
		}
		for _, p := range extra.Posts {
			if p.OwnerID == 0 {
				return errors.New("vkmock: post needs an owner_id")
			}
			w.addPostLocked(p)
		}
	}
	return nil
}

func (w *world) putUserLocked(u User) {
	w.version.Add(1)
	if old, ok := w.users[u.ID]; ok && old.ScreenName != "" {
		delete(w.byName, old.ScreenName)
	}
	w.users[u.ID] = u
	if u.ScreenName != "" {
		w.byName[u.ScreenName] = u.ID
	}
}

func (w *world) putGroupLocked(g Group) {
	w.version.Add(1)
	if old, ok := w.groups[g.ID]; ok && old.ScreenName != "" {
		delete(w.byName, old.ScreenName)
	}
	g.Members = slices.Clone(g.Members)
	if g.Type == "" {
		g.Type = "group"
	}
	w.groups[g.ID] = g
	if g.ScreenName != "" {
		w.byName[g.ScreenName] = -g.ID
	}
}

func (w *world) addPostLocked(p Post) int64 {
	w.version.Add(1)
	w.postSeq++
	if p.ID == 0 {
		p.ID = w.postSeq
	}
	if p.FromID == 0 {
		p.FromID = p.OwnerID
	}
	p.Text = strings.Clone(p.Text) // not a slice of a request's body
	w.posts[p.OwnerID] = append(w.posts[p.OwnerID], p)
	w.order.Add(postRef{p.OwnerID, p.ID}, int64(postOverhead+len(p.Text)), w.evictPostLocked)
	return p.ID
}

// evictPostLocked forgets a post evicted from the store: the oldest of its
// wall.
func (w *world) evictPostLocked(r postRef) {
	ps := w.posts[r.owner]
	i := slices.IndexFunc(ps, func(p Post) bool { return p.ID == r.id })
	if i < 0 {
		return
	}
	ps[i] = Post{}
	if i == 0 {
		ps = ps[1:] // the usual case, in constant time
	} else {
		ps = slices.Delete(ps, i, i+1)
	}
	if len(ps) == 0 {
		delete(w.posts, r.owner)
		return
	}
	if cap(ps) > 64 && len(ps) < cap(ps)/4 {
		ps = slices.Clone(ps) // free the room of the evicted ones
	}
	w.posts[r.owner] = ps
}

func validUser(u User) error {
	if u.ID <= 0 || u.ID > MaxUserID {
		return fmt.Errorf("vkmock: user id %d out of range", u.ID)
	}
	if err := textsFit(u.FirstName, u.LastName, u.ScreenName); err != nil {
		return err
	}
	switch u.Deactivated {
	case "", "deleted", "banned":
	default:
		return fmt.Errorf("vkmock: user deactivated %q: want deleted or banned", u.Deactivated)
	}
	return validScreenName(u.ScreenName)
}

func validGroup(g Group) error {
	if g.ID <= 0 || g.ID > MaxGroupID {
		return fmt.Errorf("vkmock: group id %d out of range", g.ID)
	}
	if err := textsFit(g.Name, g.ScreenName); err != nil {
		return err
	}
	if len(g.Members) > MaxWorldEntities {
		return fmt.Errorf("vkmock: a community lists at most %d members", MaxWorldEntities)
	}
	if g.IsClosed < 0 || g.IsClosed > 2 {
		return errors.New("vkmock: group is_closed must be 0, 1 or 2")
	}
	switch g.Type {
	case "", "group", "page", "event":
	default:
		return fmt.Errorf("vkmock: group type %q: want group, page or event", g.Type)
	}
	return validScreenName(g.ScreenName)
}

func validAlbum(a Album) error {
	if a.ID <= 0 || a.OwnerID == 0 {
		return errors.New("vkmock: album needs a positive id and an owner_id")
	}
	if err := textsFit(a.Title); err != nil {
		return err
	}
	if a.Size < 0 || a.Capacity < 0 {
		return errors.New("vkmock: album size and capacity must not be negative")
	}
	return nil
}

func validScreenName(s string) error {
	if s == "" {
		return nil
	}
	if _, ok := parseIDName(s); ok {
		return fmt.Errorf("vkmock: screen name %q is reserved", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return fmt.Errorf("vkmock: screen name %q: letters, digits, _ and . only", s)
		}
	}
	return nil
}

// parseIDName reads idN (a user), clubN, publicN or eventN (a community,
// negative).
func parseIDName(s string) (int64, bool) {
	for _, p := range []struct {
		prefix string
		sign   int64
	}{{"id", 1}, {"club", -1}, {"public", -1}, {"event", -1}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok && rest != "" {
			n, err := strconv.ParseInt(rest, 10, 64)
			if err == nil && n > 0 && rest[0] != '0' && rest[0] != '+' {
				return p.sign * n, true
			}
		}
	}
	return 0, false
}

// user returns a user: explicit, else derived when the id is in range.
func (s *Server) user(id int64) (User, bool) {
	if id <= 0 || id > MaxUserID {
		return User{}, false
	}
	s.world.mu.RLock()
	u, ok := s.world.users[id]
	s.world.mu.RUnlock()
	if ok {
		return u, true
	}
	return derivedUser(s.seed, id), true
}

func (s *Server) group(id int64) (Group, bool) {
	if id <= 0 || id > MaxGroupID {
		return Group{}, false
	}
	s.world.mu.RLock()
	g, ok := s.world.groups[id]
	s.world.mu.RUnlock()
	if ok {
		return g, true
	}
	return derivedGroup(s.seed, id), true
}

// resolveName resolves a screen name or idN/clubN to an owner id (negative
// for communities).
func (s *Server) resolveName(name string) (int64, bool) {
	if id, ok := parseIDName(name); ok {
		if id > 0 && id <= MaxUserID || id < 0 && -id <= MaxGroupID {
			return id, true
		}
		return 0, false
	}
	s.world.mu.RLock()
	id, ok := s.world.byName[name]
	s.world.mu.RUnlock()
	return id, ok
}

// MaxWorldEntities bounds the explicit users, communities and albums of the
// world, each; their texts are bounded by maxWorldText bytes and a
// community's members by MaxWorldEntities.
const (
	MaxWorldEntities = 10_000
	maxWorldText     = 1024
)
