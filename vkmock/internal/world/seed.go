package world

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// The seeded world: its fixed entities, the users and communities derived
// from the seed, and Reset.

var firstNames = []string{"Ivan", "Maria", "Pavel", "Anna", "Sergei", "Olga", "Dmitry", "Elena", "Nikolai", "Irina", "Alexei", "Tatiana"}
var lastNames = []string{"Petrov", "Ivanova", "Smirnov", "Kuznetsova", "Popov", "Sokolova", "Lebedev", "Kozlova", "Novikov", "Morozova"}

// femaleLastNames maps each last name to its feminine form.
var femaleLastNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range lastNames {
		if strings.HasSuffix(n, "a") {
			m[n] = n
		} else {
			m[n] = n + "a"
		}
	}
	return m
}()

// DerivedUser is the user with an id the world does not list.
func DerivedUser(seed, id int64) User {
	var buf [20]byte
	h := core.HashString(core.SeedHash(seed, "user"), string(strconv.AppendInt(buf[:0], id, 10)))
	first := firstNames[h%uint64(len(firstNames))]
	last := lastNames[(h/16)%uint64(len(lastNames))]
	if strings.HasSuffix(first, "a") {
		return User{ID: id, FirstName: first, LastName: femaleLastNames[last], Sex: 1}
	}
	return User{ID: id, FirstName: first, LastName: strings.TrimSuffix(last, "a"), Sex: 2}
}

// DerivedGroup is the community with an id the world does not list.
func DerivedGroup(seed, id int64) Group {
	h := core.SeedHash(seed, "group", strconv.FormatInt(id, 10))
	kinds := []string{"group", "page", "event"}
	return Group{ID: id, Name: "Community " + strconv.FormatInt(id, 10), Type: kinds[h%3]}
}

// Reset builds the seeded world, adds the entities of extra (nil: none)
// and forgets the messages and the buttons pressed. On an
// invalid entity of extra it returns its error; the world then holds the
// seeded entities and those of extra before it.
func (r *Room) Reset(extra *World) error {
	r.bmu.Lock()
	r.btnSeq = 0
	r.buttons = map[string]*buttonPress{}
	r.btnOrder = nil
	r.bmu.Unlock()
	now := r.now()
	seed := r.deps.Seed
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.version.Add(1)
	lim := r.deps.Limits
	r.users = map[int64]User{}
	r.groups = map[int64]Group{}
	r.albums = map[int64]Album{}
	r.posts = map[int64][]Post{}
	r.byName = map[string]int64{}
	r.messages = fifo.New[Message](lim.Messages, lim.MessageBytes)
	r.order = fifo.New[postRef](lim.Posts, lim.PostBytes)
	r.dedup = map[msgKey]int64{}
	r.msgSeq, r.postSeq = 0, 0
	owner := DerivedUser(seed, r.deps.Owner)
	owner.ScreenName = "mock_owner"
	r.putUserLocked(owner)
	friend := DerivedUser(seed, FriendID)
	friend.ScreenName = "mock_friend"
	r.putUserLocked(friend)
	r.putUserLocked(User{ID: DeletedUserID, FirstName: "DELETED", Deactivated: "deleted"})
	banned := DerivedUser(seed, BannedUserID)
	banned.Deactivated = "banned"
	r.putUserLocked(banned)
	private := DerivedUser(seed, PrivateUserID)
	private.IsClosed = true
	private.ScreenName = "mock_private"
	r.putUserLocked(private)
	r.putGroupLocked(Group{ID: r.deps.Community, Name: "Mock Community", ScreenName: "mock_community", Type: "group"})
	r.putGroupLocked(Group{ID: ClosedGroupID, Name: "Mock Closed Club", ScreenName: "mock_closed", IsClosed: 1, Type: "group", Members: []int64{r.deps.Owner}})
	r.putGroupLocked(Group{ID: PrivateGroupID, Name: "Mock Private Club", ScreenName: "mock_private_club", IsClosed: 2, Type: "group"})
	r.albums[MainAlbumID] = Album{ID: MainAlbumID, OwnerID: r.deps.Owner, Title: "Main", Size: 3, Capacity: 10000, Created: now - 86400*30}
	r.albums[FullAlbumID] = Album{ID: FullAlbumID, OwnerID: r.deps.Owner, Title: "Full", Size: 10000, Capacity: 10000, Created: now - 86400*20}
	for i, owner := range []int64{r.deps.Owner, FriendID, PrivateUserID, -r.deps.Community, -ClosedGroupID, -PrivateGroupID} {
		for j := range 3 {
			r.addPostLocked(Post{OwnerID: owner, FromID: owner, Date: now - int64(86400*(10-j)+3600*i), Text: fmt.Sprintf("Post %d of %d", j+1, owner)})
		}
	}
	if extra == nil {
		return nil
	}
	for _, u := range extra.Users {
		if err := validUser(u); err != nil {
			return err
		}
		r.putUserLocked(u)
	}
	for _, g := range extra.Groups {
		if err := validGroup(g); err != nil {
			return err
		}
		r.putGroupLocked(g)
	}
	for _, a := range extra.Albums {
		if err := validAlbum(a); err != nil {
			return err
		}
		r.albums[a.ID] = a
	}
	for _, p := range extra.Posts {
		if p.OwnerID == 0 {
			return errNoOwner
		}
		r.addPostLocked(p)
	}
	return nil
}

var errNoOwner = errors.New("vkmock: post needs an owner_id")

func (r *Room) putUserLocked(u User) {
	r.version.Add(1)
	if old, ok := r.users[u.ID]; ok && old.ScreenName != "" {
		delete(r.byName, old.ScreenName)
	}
	r.users[u.ID] = u
	if u.ScreenName != "" {
		r.byName[u.ScreenName] = u.ID
	}
}

func (r *Room) putGroupLocked(g Group) {
	r.version.Add(1)
	if old, ok := r.groups[g.ID]; ok && old.ScreenName != "" {
		delete(r.byName, old.ScreenName)
	}
	g.Members = slices.Clone(g.Members)
	if g.Type == "" {
		g.Type = "group"
	}
	r.groups[g.ID] = g
	if g.ScreenName != "" {
		r.byName[g.ScreenName] = -g.ID
	}
}

func (r *Room) addPostLocked(p Post) int64 {
	r.version.Add(1)
	r.postSeq++
	if p.ID == 0 {
		p.ID = r.postSeq
	}
	if p.FromID == 0 {
		p.FromID = p.OwnerID
	}
	p.Text = strings.Clone(p.Text) // not a slice of a request's body
	r.posts[p.OwnerID] = append(r.posts[p.OwnerID], p)
	r.order.Add(postRef{p.OwnerID, p.ID}, int64(postOverhead+len(p.Text)), r.evictPostLocked)
	return p.ID
}

// evictPostLocked forgets a post evicted from the store: the oldest of its
// wall.
func (r *Room) evictPostLocked(ref postRef) {
	ps := r.posts[ref.owner]
	i := slices.IndexFunc(ps, func(p Post) bool { return p.ID == ref.id })
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
		delete(r.posts, ref.owner)
		return
	}
	if cap(ps) > 64 && len(ps) < cap(ps)/4 {
		ps = slices.Clone(ps) // free the room of the evicted ones
	}
	r.posts[ref.owner] = ps
}
