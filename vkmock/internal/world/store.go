package world

import (
	"cmp"
	"slices"
	"strings"
)

// The Go control of the world (what the façade's World() handle calls):
// lookups, snapshots, entities put and posts added, and the messages.

// User returns a user: explicit, else derived when the id is in range.
func (r *Room) User(id int64) (User, bool) {
	if id <= 0 || id > MaxUserID {
		return User{}, false
	}
	r.mu.RLock()
	u, ok := r.users[id]
	r.mu.RUnlock()
	if ok {
		return u, true
	}
	return DerivedUser(r.deps.Seed, id), true
}

// Group returns a community: explicit, else derived when the id is in
// range.
func (r *Room) Group(id int64) (Group, bool) {
	if id <= 0 || id > MaxGroupID {
		return Group{}, false
	}
	r.mu.RLock()
	g, ok := r.groups[id]
	r.mu.RUnlock()
	if ok {
		return g, true
	}
	return DerivedGroup(r.deps.Seed, id), true
}

// Album returns an explicit album.
func (r *Room) Album(id int64) (Album, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.albums[id]
	return a, ok
}

// ResolveName resolves a screen name or idN/clubN to an owner id
// (negative for communities).
func (r *Room) ResolveName(name string) (int64, bool) {
	if id, ok := parseIDName(name); ok {
		if id > 0 && id <= MaxUserID || id < 0 && -id <= MaxGroupID {
			return id, true
		}
		return 0, false
	}
	r.mu.RLock()
	id, ok := r.byName[name]
	r.mu.RUnlock()
	return id, ok
}

// Snapshot returns the world's explicit entities, by id.
func (r *Room) Snapshot() World {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := World{Users: []User{}, Groups: []Group{}, Albums: []Album{}, Posts: []Post{}}
	for _, u := range r.users {
		out.Users = append(out.Users, u)
	}
	for _, g := range r.groups {
		g.Members = slices.Clone(g.Members)
		out.Groups = append(out.Groups, g)
	}
	for _, a := range r.albums {
		out.Albums = append(out.Albums, a)
	}
	for _, ps := range r.posts {
		out.Posts = append(out.Posts, ps...)
	}
	slices.SortFunc(out.Users, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Groups, func(a, b Group) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Albums, func(a, b Album) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Posts, func(a, b Post) int {
		if c := cmp.Compare(a.OwnerID, b.OwnerID); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// PutUser adds a user to the world or replaces the one with its id.
func (r *Room) PutUser(u User) error {
	if err := validUser(u); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := full(r.users, u.ID); err != nil {
		return err
	}
	r.putUserLocked(u)
	return nil
}

// PutGroup adds a community or replaces the one with its id.
func (r *Room) PutGroup(g Group) error {
	if err := validGroup(g); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := full(r.groups, g.ID); err != nil {
		return err
	}
	r.putGroupLocked(g)
	return nil
}

// PutAlbum adds an album or replaces the one with its id.
func (r *Room) PutAlbum(a Album) error {
	if err := validAlbum(a); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := full(r.albums, a.ID); err != nil {
		return err
	}
	r.version.Add(1)
	r.albums[a.ID] = a
	return nil
}

// AddPost adds a post to a wall (OwnerID negative for a community) and
// returns its id; Date defaults to now. Deps.Posted is told of it.
func (r *Room) AddPost(p Post) (int64, error) {
	if p.OwnerID == 0 {
		return 0, errNoOwner
	}
	if p.Date == 0 {
		p.Date = r.now()
	}
	r.mu.Lock()
	id := r.addPostLocked(p)
	r.mu.Unlock()
	if r.deps.Posted != nil {
		r.deps.Posted(p, id)
	}
	return id, nil
}

// post returns a stored post of a wall.
func (r *Room) post(owner, id int64) (Post, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, p := range r.posts[owner] {
		if p.ID == id {
			return p, true
		}
	}
	return Post{}, false
}

// Messages returns the messages delivered by messages.send, oldest first.
func (r *Room) Messages() []Message {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.messages.All())
}

// ClearMessages forgets the delivered messages and their random_ids.
func (r *Room) ClearMessages() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages.Reset()
	r.dedup = map[msgKey]int64{}
}

// sendMessage stores a message unless its random_id was already used by
// the sender for the peer; it returns the message id (the first one's for
// a repeat).
func (r *Room) sendMessage(from, peer, randomID int64, text string, att []string) int64 {
	date := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	k := msgKey{from, peer, randomID}
	if randomID != 0 {
		if id, ok := r.dedup[k]; ok {
			return id
		}
	}
	r.msgSeq++
	text = strings.Clone(text) // not a slice of a request's body
	m := Message{ID: r.msgSeq, FromID: from, PeerID: peer, RandomID: randomID, Message: text, Date: date, Attachments: att}
	r.messages.Add(m, int64(messageOverhead+len(text)+attachmentsBytes(att)), func(m Message) {
		if m.RandomID != 0 {
			delete(r.dedup, msgKey{m.FromID, m.PeerID, m.RandomID})
		}
	})
	if randomID != 0 {
		r.dedup[k] = r.msgSeq
	}
	return r.msgSeq
}

// lastMessageID is the id of the newest message stored so far.
func (r *Room) lastMessageID() int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.msgSeq
}

// message finds a stored message.
func (r *Room) message(id int64) (Message, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if m := r.messageLocked(id); m != nil {
		return *m, true
	}
	return Message{}, false
}

// messageLocked is the stored message with the id (ids ascend in the
// store), or nil; the caller holds mu, and a write lock to change it.
func (r *Room) messageLocked(id int64) *Message {
	ms := r.messages.All()
	i, ok := slices.BinarySearchFunc(ms, id, func(m Message, id int64) int { return cmp.Compare(m.ID, id) })
	if !ok {
		return nil
	}
	return &ms[i]
}

// markDeletedForAll marks a stored message deleted for both sides.
func (r *Room) markDeletedForAll(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.messageLocked(id); m != nil {
		m.DeletedForAll = true
	}
}

// Usage is what the bounded stores hold.
type Usage struct {
	Messages     int   // messages kept
	MessageBytes int64 // their estimated bytes
	Posts        int   // posts kept, on every wall
	PostBytes    int64 // their estimated bytes
}

// Usage returns what the bounded stores hold now.
func (r *Room) Usage() Usage {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return Usage{Messages: r.messages.Len(), MessageBytes: r.messages.Bytes(), Posts: r.order.Len(), PostBytes: r.order.Bytes()}
}
