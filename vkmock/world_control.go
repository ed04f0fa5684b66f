package vkmock

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The Go control of the world: snapshots, entities put and posts added,
// and the messages sent.

// Snapshot returns the world's explicit entities, by id.
func (ctl WorldControl) Snapshot() World {
	s := ctl.s
	w := &s.world
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := World{Users: []User{}, Groups: []Group{}, Albums: []Album{}, Posts: []Post{}}
	for _, u := range w.users {
		out.Users = append(out.Users, u)
	}
	for _, g := range w.groups {
		g.Members = slices.Clone(g.Members)
		out.Groups = append(out.Groups, g)
	}
	for _, a := range w.albums {
		out.Albums = append(out.Albums, a)
	}
	for _, ps := range w.posts {
		out.Posts = append(out.Posts, ps...)
	}
	slices.SortFunc(out.Users, func(a, b User) int { return int64Cmp(a.ID, b.ID) })
	slices.SortFunc(out.Groups, func(a, b Group) int { return int64Cmp(a.ID, b.ID) })
	slices.SortFunc(out.Albums, func(a, b Album) int { return int64Cmp(a.ID, b.ID) })
	slices.SortFunc(out.Posts, func(a, b Post) int {
		if c := int64Cmp(a.OwnerID, b.OwnerID); c != 0 {
			return c
		}
		return int64Cmp(a.ID, b.ID)
	})
	return out
}

// worldFull refuses a new entity past MaxWorldEntities.
func worldFull[V any](m map[int64]V, id int64) error {
	if _, ok := m[id]; !ok && len(m) >= MaxWorldEntities {
		return fmt.Errorf("vkmock: the world holds at most %d of each kind of entity", MaxWorldEntities)
	}
	return nil
}

// textsFit checks the texts of an entity against maxWorldText.
func textsFit(texts ...string) error {
	for _, t := range texts {
		if len(t) > maxWorldText {
			return fmt.Errorf("vkmock: names and titles are at most %d bytes", maxWorldText)
		}
	}
	return nil
}

// PutUser adds a user to the world or replaces the one with its id.
func (ctl WorldControl) PutUser(u User) error {
	s := ctl.s
	if err := validUser(u); err != nil {
		return err
	}
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	if err := worldFull(s.world.users, u.ID); err != nil {
		return err
	}
	s.world.putUserLocked(u)
	return nil
}

// PutGroup adds a community or replaces the one with its id.
func (ctl WorldControl) PutGroup(g Group) error {
	s := ctl.s
	if err := validGroup(g); err != nil {
		return err
	}
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	if err := worldFull(s.world.groups, g.ID); err != nil {
		return err
	}
	s.world.putGroupLocked(g)
	return nil
}

// PutAlbum adds an album or replaces the one with its id.
func (ctl WorldControl) PutAlbum(a Album) error {
	s := ctl.s
	if err := validAlbum(a); err != nil {
		return err
	}
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	if err := worldFull(s.world.albums, a.ID); err != nil {
		return err
	}
	s.world.version.Add(1)
	s.world.albums[a.ID] = a
	return nil
}

// AddPost adds a post to a wall (OwnerID negative for a community) and
// returns its id.
func (ctl WorldControl) AddPost(p Post) (int64, error) {
	s := ctl.s
	if p.OwnerID == 0 {
		return 0, errors.New("vkmock: post needs an owner_id")
	}
	s.world.mu.Lock()
	if p.Date == 0 {
		p.Date = s.now().Unix()
	}
	id := s.world.addPostLocked(p)
	s.world.mu.Unlock()
	s.streamingPost(p, id) // a post whose text matches a rule is a Streaming event
	return id, nil
}

// Messages returns the messages delivered by messages.send, oldest first.
func (ctl WorldControl) Messages() []Message {
	s := ctl.s
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	return slices.Clone(s.world.messages.All())
}

// ClearMessages forgets the delivered messages and their random_ids.
func (ctl WorldControl) ClearMessages() {
	s := ctl.s
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	s.world.messages.Reset()
	s.world.dedup = map[msgKey]int64{}
}

// sendMessage stores a message unless its random_id was already used by
// the sender for the peer; it returns the message id (the first one's for
// a repeat).
func (s *Server) sendMessage(from, peer, randomID int64, text string, att []string) int64 {
	w := &s.world
	w.mu.Lock()
	defer w.mu.Unlock()
	k := msgKey{from, peer, randomID}
	if randomID != 0 {
		if id, ok := w.dedup[k]; ok {
			return id
		}
	}
	w.msgSeq++
	text = strings.Clone(text) // not a slice of a request's body
	m := Message{ID: w.msgSeq, FromID: from, PeerID: peer, RandomID: randomID, Message: text, Date: s.now().Unix(), Attachments: att}
	w.messages.Add(m, int64(messageOverhead+len(text)+attachmentsBytes(att)), func(m Message) {
		if m.RandomID != 0 {
			delete(w.dedup, msgKey{m.FromID, m.PeerID, m.RandomID})
		}
	})
	if randomID != 0 {
		w.dedup[k] = w.msgSeq
	}
	return w.msgSeq
}
