// Package userlp is vkmock's User Long Poll room, as VK serves it to a
// user token: messages.getLongPollServer hands out /im/u<user_id>,
// a_check answers the user's updates in the shapes of its version and
// mode, messages.getLongPollHistory what a client missed. The world
// appends updates (Update, SetOnline); the façade serves a_check over
// HTTP with the fault rules. Its rules and their sources are in
// docs/vkmock.md ("User Long Poll").
package userlp

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

const (
	// MaxKeysPerUser bounds the live keys of a user; a new key beyond it
	// retires the oldest.
	MaxKeysPerUser = 16
	// updateOverhead is the estimated bytes of a kept update besides its
	// JSON.
	updateOverhead = 48
)

// Limits bound the room's stores: each user's history by HistoryEvents
// and HistoryBytes, all of them by TotalBytes (the biggest history loses
// its older half), the users with state by Users (past it the user idle
// the longest is forgotten), an answer by MaxUpdates; a key works for
// KeyLifetime. The façade gives LongPollConfig's, defaults filled: every
// field must be positive.
type Limits struct {
	KeyLifetime   time.Duration
	HistoryEvents int
	HistoryBytes  int
	MaxUpdates    int
	TotalBytes    int
	Users         int
}

// World is what the room reads from the world: the objects of the users
// and communities of a history page.
type World interface {
	// AppendUsers appends the users' objects, comma-separated, with the
	// fields q asks, as users.get fills them for viewer.
	AppendUsers(b []byte, ids []int64, q *core.Request, viewer int64) []byte
	// AppendGroups appends the communities' objects alike.
	AppendGroups(b []byte, ids []int64, q *core.Request, viewer int64) []byte
}

// Deps is what the room needs from the rest of the mock.
type Deps struct {
	Clock *core.Clock
	// Seed makes the keys.
	Seed int64
	// Msgs words the methods' errors.
	Msgs core.Messages
	// Limits are the bounds at start and after Reset.
	Limits Limits
	// MaxUserID and MaxGroupID are the largest user and community ids.
	MaxUserID, MaxGroupID int64
	World                 World
}

type update struct {
	arr json.RawMessage
	msg json.RawMessage // the message of a 4/5 update, for getLongPollHistory
	// pts is the user's pts after the update; kept whether VK keeps it in
	// the history (only those move the pts).
	pts  int64
	kept bool
	// msgID and parties are msg's id and its from_id and peer_id.
	msgID   int64
	parties [2]int64
	// v19 is the update in version 19's shape (nil: as arr); elems are
	// arr's elements with the mode bit each needs (shapes.go; nil: arr
	// whatever the mode).
	v19   json.RawMessage
	elems []elem
}

func (up update) size() int64 {
	n := len(up.arr) + len(up.msg) + len(up.v19) + updateOverhead
	for _, e := range up.elems {
		n += len(e.v) + len(e.zero) + 16
	}
	return int64(n)
}

type user struct {
	seq, pts int64
	hist     fifo.FIFO[update] // oldest first, ts consecutive, the newest's ts is seq
	notify   chan struct{}
	keys     []string  // live keys, oldest first
	last     time.Time // the last request (server, a_check) or update, for eviction
	online   bool      // account.setOnline, for updates 8 and 9
}

// oldest is the ts after which the updates are kept.
func (us *user) oldest() int64 { return us.seq - int64(us.hist.Len()) }

type key struct {
	user   int64
	issued time.Time
}

// Room is the User Long Poll state of the users who asked for a server
// (or got an injected update): a user without state has nobody
// listening, and the world's updates skip it. The zero value is not
// usable; New makes one. A Room is safe for concurrent use. Its lock is
// taken under the Bots Long Poll room's (an event a community emits
// becomes a user's update there); it calls no other room under its own.
type Room struct {
	d       Deps
	methods map[string]core.Handler

	mu    sync.Mutex
	lim   Limits
	cfg   Config
	users map[int64]*user
	keys  map[string]key
	seq   uint64
	bytes int64 // the kept history of all users
}

// New returns a room with d's limits and VK's configuration.
func New(d Deps) *Room {
	r := &Room{d: d, lim: d.Limits, cfg: Config{}.WithDefaults(), users: map[int64]*user{}, keys: map[string]key{}}
	r.methods = map[string]core.Handler{
		"messages.getLongPollServer":  r.getLongPollServer,
		"messages.getLongPollHistory": r.getLongPollHistory,
	}
	return r
}

// Methods returns the API methods the room answers.
func (r *Room) Methods() map[string]core.Handler { return r.methods }

// Reset forgets every user's state and key, and takes the limits and the
// configuration back to their start; waiting requests are woken.
func (r *Room) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, us := range r.users {
		close(us.notify)
	}
	r.users, r.keys, r.seq, r.bytes = map[int64]*user{}, map[string]key{}, 0, 0
	r.lim, r.cfg = r.d.Limits, Config{}.WithDefaults()
}

// SetLimits changes the bounds (LongPoll().SetConfig).
func (r *Room) SetLimits(l Limits) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lim = l
}

// userLocked returns a user's state; with create it makes it, forgetting
// the user idle the longest when Users are kept already. Without create
// it returns nil for a user without state.
func (r *Room) userLocked(id int64, now time.Time, create bool) *user {
	if us := r.users[id]; us != nil || !create {
		return us
	}
	if len(r.users) >= r.lim.Users {
		var idle int64
		var since time.Time
		for uid, o := range r.users {
			if idle == 0 || o.last.Before(since) {
				idle, since = uid, o.last
			}
		}
		r.forgetLocked(idle)
	}
	us := &user{notify: make(chan struct{}), last: now}
	us.hist = fifo.New[update](r.lim.HistoryEvents, int64(r.lim.HistoryBytes))
	r.users[id] = us
	return us
}

// forgetLocked drops a user's state and keys, waking its waiters.
func (r *Room) forgetLocked(id int64) {
	us := r.users[id]
	if us == nil {
		return
	}
	for _, k := range us.keys {
		delete(r.keys, k)
	}
	r.bytes -= us.hist.Bytes()
	close(us.notify)
	delete(r.users, id)
}

// issueKeyLocked makes a new key for a user, retiring its oldest beyond
// maxKeysPerUser.
func (r *Room) issueKeyLocked(id int64, us *user, now time.Time) string {
	r.seq++
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(r.d.Seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(id))
	binary.LittleEndian.PutUint64(b[16:], r.seq)
	sum := sha1.Sum(append(b[:], "userlp"...))
	k := hex.EncodeToString(sum[:])
	r.keys[k] = key{user: id, issued: now}
	us.keys = append(us.keys, k)
	if len(us.keys) > MaxKeysPerUser {
		delete(r.keys, us.keys[0])
		us.keys = append(us.keys[:0], us.keys[1:]...)
	}
	us.last = now
	return k
}

// Key issues a key for a user, making its state, and returns it with
// the user's ts and pts (messages.getLongPollServer; tests).
func (r *Room) Key(userID int64) (k string, ts, pts int64) {
	now := r.d.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	us := r.userLocked(userID, now, true)
	return r.issueKeyLocked(userID, us, now), us.seq, us.pts
}

// Listen makes a user's state, so that the world's updates reach it, as
// asking for a server does.
func (r *Room) Listen(userID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.userLocked(userID, r.d.Clock.Now(), true)
}

// Update appends an update for a user: arr is the array without its ts
// in version 3's shape with every mode field, msg the message object for
// getLongPollHistory (nil for others). An injected update makes the
// user's state and is served as given; a world's (injected false) is
// skipped for a user nobody listens to, and served in the shape of each
// version and mode.
func (r *Room) Update(userID int64, arr []any, msg json.RawMessage, injected bool) error {
	b, err := json.Marshal(arr)
	if err != nil {
		return err
	}
	up := update{arr: b, msg: msg, kept: true}
	if !injected {
		up.shapes(arr)
	}
	if code, ok := arr[0].(int); ok {
		up.kept = !Transient(code)
	} else if raw, ok := arr[0].(json.RawMessage); ok {
		var code int
		_ = json.Unmarshal(raw, &code)
		up.kept = !Transient(code)
	}
	if msg != nil {
		var m struct {
			ID     int64 `json:"id"`
			FromID int64 `json:"from_id"`
			PeerID int64 `json:"peer_id"`
		}
		_ = json.Unmarshal(msg, &m)
		up.msgID, up.parties = m.ID, [2]int64{m.FromID, m.PeerID}
	}
	now := r.d.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	us := r.userLocked(userID, now, injected)
	if us == nil {
		return nil
	}
	us.seq++
	if up.kept {
		us.pts++
	}
	up.pts = us.pts
	us.last = now
	us.hist.SetBounds(r.lim.HistoryEvents, int64(r.lim.HistoryBytes))
	before := us.hist.Bytes()
	us.hist.Add(up, up.size(), nil)
	r.bytes += us.hist.Bytes() - before
	for r.bytes > int64(r.lim.TotalBytes) {
		big := us
		for _, o := range r.users {
			if o.hist.Bytes() > big.hist.Bytes() {
				big = o
			}
		}
		if big.hist.Len() == 0 {
			break
		}
		before := big.hist.Bytes()
		big.hist.Shift((big.hist.Len() + 1) / 2)
		r.bytes -= before - big.hist.Bytes()
	}
	close(us.notify)
	us.notify = make(chan struct{})
	return nil
}

// SetOnline sets a user's presence (account.setOnline / setOffline),
// making its state, and reports whether it changed.
func (r *Room) SetOnline(userID int64, online bool) (changed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	us := r.userLocked(userID, r.d.Clock.Now(), true)
	changed = us.online != online
	us.online = online
	return changed
}

// Users returns the number of users with state.
func (r *Room) Users() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.users)
}
